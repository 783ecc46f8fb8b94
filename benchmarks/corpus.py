"""A deterministic corpus of about-160-character messages, GSM-7 and UCS-2 mixed."""

from __future__ import annotations

import random

SOURCES = [
    "Your verification code is 482913. It expires in 10 minutes. Do not share it with anyone. ",
    "Hi Anna, your table for 4 at Café Ølstue is confirmed for Friday 19:30. Reply STOP now. ",
    "Order #55123 shipped! Track it at https://example.com/t/55123 {ref: A-7} Total: 49,90€ ",
    "Reminder: meeting moved to 15:00 [room 4B] ~ bring the Q3 report | thanks! ",
    "Здравствуйте! Ваш заказ готов к выдаче. Пункт выдачи работает до 20:00. ",
    "お荷物のお届け予定日は明日です。ご不在の場合は再配達をご依頼ください。",
    "Happy birthday! 🎉🎂 Have a wonderful day, see you at the party tonight 😀 ",
    "Γεια σας! Η κράτησή σας επιβεβαιώθηκε. Ευχαριστούμε που μας προτιμήσατε. ",
    "Merci ! Votre rendez-vous est confirmé pour le 12 à 14h. À bientôt chez nous. ",
    "Ihre Lieferung kommt heute zwischen 10 und 12 Uhr. Grüße, Ihr Paketdienst. ",
]


def corpus(size: int, seed: int = 160) -> list[str]:
    rng = random.Random(seed)
    messages = []
    for _ in range(size):
        source = rng.choice(SOURCES)
        length = rng.randint(140, 180)
        text = (source * (length // len(source) + 2))[rng.randrange(len(source)) :][:length]
        messages.append(text)
    return messages
