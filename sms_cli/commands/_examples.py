"""Every command's examples, in one place: command path -> (command line, what it does).

app.py shows them as an "Examples" section of each command's help (commands/_root.py).
tests/adversarial/test_help_errors_cli.py parses every line with the real parser, so an
example using an option that does not exist fails; commands not in the app yet are skipped
there but kept here.
"""

from __future__ import annotations

Example = tuple[str, str]

EXAMPLES: dict[str, list[Example]] = {
    "": [
        (
            "smsctl profile add work --provider PROVIDER --token-stdin",
            "a first profile (smsctl providers)",
        ),
        ("smsctl send --to +46701234567 'Hello'", "send one SMS"),
        ("smsctl split 'Grüße 👍'", "see how a text is encoded and split, offline"),
        ("smsctl --json status --last", "any command's result as JSON (before or after it)"),
    ],
    "send": [
        ("smsctl send --to +46701234567 'Meeting moved to 3pm'", "one recipient"),
        ("smsctl send -t +46701234567 -t +46709999999 -f Acme 'Hi'", "two recipients, a sender"),
        ("smsctl send --to 0701234567 -p work --dry-run 'Hi'", "check and count; send nothing"),
        ("echo 'Build failed' | smsctl send --to +46701234567 --json", "text from stdin, JSON"),
        ("smsctl send --to +46701234567 --smart 'Smart “quotes” – dashes'", "GSM-7 look-alikes"),
        ("smsctl send --to +46701234567 --file notice.txt", "the text from a file"),
        ("smsctl send --to-file numbers.txt 'Office closed today'", "one recipient per line"),
        ("smsctl send --to +46701234567 --at +2h 'Reminder'", "send in two hours"),
    ],
    "status": [
        ("smsctl status --last", "the state of the last messages sent"),
        ("smsctl status 77341982 --json", "one message, as JSON"),
        ("smsctl status --last --wait --timeout 120", "wait up to 2 minutes for delivery"),
        ("smsctl status --job march", "every row of a bulk job"),
    ],
    "log": [
        ("smsctl log", "the latest messages sent"),
        ("smsctl log --to +46701234567 --since 7d", "to one number in the last week"),
        ("smsctl log --status failed -n 50 --csv", "the last 50 failures, as CSV"),
        ("smsctl -p work log --json", "one profile's history, as JSON"),
    ],
    "split": [
        ("smsctl split 'Grüße aus Köln'", "encoding, segments and what forces UCS-2"),
        ("smsctl split --file notice.txt --max-segments 2", "exit 10 past two segments"),
        ("smsctl split --smart 'It’s “quoted”'", "how look-alike characters would be replaced"),
        ("smsctl split --json 'Hello'", "as JSON"),
    ],
    "listen": [
        ("smsctl listen --port 8080", "receive reports and replies on port 8080"),
        ("smsctl listen --public-url https://example.org/sms --json", "one JSON line per event"),
    ],
    "inbox": [
        ("smsctl inbox", "the latest received SMS"),
        ("smsctl inbox --from +46709999999 --since 1d", "from one number, the last day"),
        ("smsctl inbox -n 100 --json", "the last 100, as JSON"),
    ],
    "hooks": [
        ("smsctl hooks list", "the webhooks the provider has"),
        ("smsctl hooks add https://example.org/sms --event dlr", "register one"),
    ],
    "hooks add": [
        ("smsctl hooks add https://example.org/sms", "push reports and replies there"),
        ("smsctl hooks add https://example.org/sms --event dlr -p work", "only delivery reports"),
    ],
    "hooks list": [
        ("smsctl hooks list", "the webhooks registered"),
        ("smsctl hooks list --json", "as JSON"),
    ],
    "hooks remove": [
        ("smsctl hooks remove 42", "remove webhook 42"),
    ],
    "balance": [
        ("smsctl balance", "the default profile's balance"),
        ("smsctl balance -p work --json", "one profile's, as JSON"),
    ],
    "providers": [
        ("smsctl providers", "providers installed, with their options"),
        ("smsctl providers --json", "as JSON"),
    ],
    "sandbox": [
        ("smsctl sandbox", "local emulators of every provider, on port 8025"),
        ("smsctl sandbox --port 0", "on a free port it picks and prints"),
        ("smsctl sandbox --port 9000 --no-log", "another port, without request logs"),
    ],
    "doctor": [
        ("smsctl doctor", "paths, permissions, profiles, tokens, clock, completions"),
        ("smsctl doctor --json", "the same checks, as JSON"),
    ],
    "bulk": [
        ("smsctl bulk start people.csv -m 'Hi {name}' --dry-run", "check a CSV, send nothing"),
        ("smsctl bulk jobs", "the jobs so far"),
        ("smsctl bulk show march", "one job's rows and totals"),
    ],
    "bulk start": [
        ("smsctl bulk start people.csv -m 'Hi {name}' --dry-run", "check, count; send nothing"),
        ("smsctl bulk start people.csv -m 'Hi {name}' --name march -y", "send, without asking"),
        ("smsctl bulk start people.csv --template-file t.txt --rate 5", "at most 5 a second"),
    ],
    "bulk resume": [
        ("smsctl bulk resume march", "send the rows an interrupted run did not"),
        ("smsctl bulk resume march --retry-unknown -y", "also rows whose outcome is unknown"),
    ],
    "bulk jobs": [
        ("smsctl bulk jobs", "every job, newest first"),
        ("smsctl bulk jobs --json", "as JSON"),
    ],
    "bulk list": [
        ("smsctl bulk list", "the same as bulk jobs"),
    ],
    "bulk show": [
        ("smsctl bulk show march", "totals and rows, asking the provider"),
        ("smsctl bulk show march --offline --json", "from the journal only, as JSON"),
    ],
    "bulk cancel": [
        ("smsctl bulk cancel march", "stop a running job; rows not sent stay unsent"),
    ],
    "bulk report": [
        ("smsctl bulk report march -o march.csv", "every row's outcome, as CSV"),
    ],
    "bulk delete": [
        ("smsctl bulk delete march", "forget a finished job"),
    ],
    "bulk retry": [
        ("smsctl bulk retry march --failed --dry-run", "what a retry of failed rows would send"),
        ("smsctl bulk retry march --failed -y", "send the failed rows again, in a new job"),
    ],
    "profile": [
        ("smsctl profile add work --provider PROVIDER --token-stdin", "add a profile"),
        ("smsctl profile set work --region SE", "change one setting"),
        ("smsctl profile list", "every profile"),
    ],
    "profile add": [
        ("smsctl profile add work --provider PROVIDER --token-stdin", "paste the token"),
        (
            "smsctl profile add work --provider PROVIDER --token-env SMS_TOKEN --region SE",
            "the token from an environment variable",
        ),
        (
            "printf sandbox-token | smsctl profile add sandbox --provider PROVIDER --base-url URL "
            "--token-stdin",
            "a sandbox profile: smsctl sandbox prints this line with each provider's URL",
        ),
    ],
    "profile set": [
        ("smsctl profile set work --region SE", "change only the region"),
        ("smsctl profile set work --sender Acme --price-per-segment 0.15 --currency EUR", "more"),
        ("smsctl profile set work --token-stdin", "replace only the token"),
    ],
    "profile edit": [
        ("smsctl profile edit work", "open the profile in $EDITOR; checked before saving"),
    ],
    "profile check": [
        ("smsctl profile check", "check every profile's token with its provider"),
        ("smsctl profile check work --json", "one profile, as JSON"),
    ],
    "profile list": [
        ("smsctl profile list", "every profile"),
        ("smsctl profile list --json", "as JSON"),
    ],
    "profile show": [
        ("smsctl profile show work", "one profile, token masked"),
        ("smsctl profile show work --json", "as JSON"),
    ],
    "profile signing-key": [
        ("smsctl profile signing-key work --stdin", "the key that signs pushed reports"),
        ("smsctl profile signing-key work --remove", "remove it"),
    ],
    "profile use": [
        ("smsctl profile use work", "make work the default profile"),
    ],
    "profile remove": [
        ("smsctl profile remove old", "remove a profile"),
    ],
    "profile rename": [
        ("smsctl profile rename work acme", "rename a profile"),
    ],
    "profile path": [
        ("smsctl profile path", "where profiles.toml is"),
    ],
}
