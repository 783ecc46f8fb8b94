from sms_cli.app import main

main()
