"""Built-in English sentences of the synthetic corpus (written for this project), named s000, s001, ...
Common words only, so an offline recogniser's dictionary covers them."""

from __future__ import annotations

SENTENCES: tuple[str, ...] = (
    "The little boat drifted slowly across the quiet lake.",
    "Please bring me a cup of warm tea and some bread.",
    "My brother found an old map under the kitchen table.",
    "The children played in the garden until it got dark.",
    "She opened the window to let the fresh air inside.",
    "We will meet at the station early tomorrow morning.",
    "A strong wind blew the yellow leaves down the street.",
    "He painted the front door a bright shade of blue.",
    "The old clock on the wall stopped at midnight.",
    "They walked along the river and talked about music.",
    "Put the books back on the shelf when you are done.",
    "The farmer sold fresh eggs and milk at the market.",
    "Our teacher told us a funny story about her dog.",
    "The train was late because of the heavy snow.",
    "I could hear birds singing outside my window.",
    "The doctor asked him to rest for a few days.",
    "A small cat was sleeping on the warm stone steps.",
    "Turn left at the bridge and follow the narrow road.",
    "The bakery on the corner smells of sweet bread.",
    "Her new coat was green with large silver buttons.",
    "The team worked hard to finish the project on time.",
    "Rain fell on the roof all through the long night.",
    "He keeps his tools in a wooden box in the garage.",
    "The museum opens at nine and closes at five.",
    "Two ships sailed past the lighthouse at sunset.",
    "Please write your name at the top of the page.",
    "The soup needs a little more salt and pepper.",
    "We watched the stars from the top of the hill.",
    "The baby laughed when the puppy licked her hand.",
    "My sister plays the piano every evening after dinner.",
    "The road was closed for repairs during the summer.",
    "He lost his keys somewhere between the car and the house.",
    "The apples in the basket were red and sweet.",
    "A loud noise woke everyone in the building.",
    "The library has thousands of books about history.",
    "She carried a heavy bag up the narrow stairs.",
    "The wind turned cold as the sun went down.",
    "We planted tomatoes and beans in the spring.",
    "The pilot said the flight would land in an hour.",
    "An old man sat on the bench and fed the birds.",
    "The water in the pool was clear and cold.",
    "I bought a new pair of shoes for the trip.",
    "The mountain path was steep and full of rocks.",
    "Dinner will be ready in about twenty minutes.",
    "The king lived in a castle near the sea.",
    "Please turn off the lights before you leave.",
    "The fisherman caught three large fish this morning.",
    "Snow covered the fields and the quiet village.",
)


# More English for training only (CorpusConfig.train_only_sentences): other words and sound sequences for the
# content encoder, named t000, t001, ...; never drawn into a held-out split, so the held-out sentences stay the same.
TRAIN_ONLY_SENTENCES: tuple[str, ...] = (
    "Could you show me the way to the nearest post office?",
    "The boy threw the ball over the fence into the yard.",
    "Fresh orange juice tastes best in the early morning.",
    "Thick fog hid the ships waiting outside the harbour.",
    "She measured the flour and poured it into a bowl.",
    "Every Thursday we visit our uncle in the city.",
    "The judge listened carefully and then shook his head.",
    "Bright yellow flowers grew along the edge of the path.",
    "My father fixed the broken chair with glue and a nail.",
    "The choir sang loudly while the bells were ringing.",
    "Join us for lunch at the new place near the church.",
    "A thin layer of ice covered the pond this winter.",
    "The nurse checked his pulse and wrote down the number.",
    "We should leave now if we want to catch the boat.",
    "Those shoes are too big for a child of his age.",
    "The engine made a strange noise on the way home.",
    "Four young foxes were hiding behind the old barn.",
    "He usually takes the bus to work on Monday.",
    "The queen wore a purple gown and a golden crown.",
    "Wash your hands with soap before you eat anything.",
    "The cowboy rode his horse through the dusty valley.",
    "Our neighbours bought a noisy puppy last week.",
    "I think the weather will change by the weekend.",
    "The pupils drew pictures of boats and whales.",
    "Very few people knew the answer to that question.",
    "The guard pushed the heavy gate and it moved slowly.",
    "Hot chocolate with cream is good on a cold evening.",
    "The voice on the phone sounded tired but happy.",
    "Mother hung the wet clothes outside to dry.",
    "The jury took three hours to reach a decision.",
    "A flock of geese flew south over the quiet town.",
    "Bring a pencil, a ruler and some paper to class.",
    "The thief escaped through an open window at night.",
    "Our garden fills with roses in the month of June.",
    "She whispered something funny into my ear.",
    "The boiled potatoes were soft and full of butter.",
    "Nobody noticed the small mouse under the sofa.",
    "Check the oil and the tyres before a long journey.",
    "He played the violin at the wedding on Saturday.",
    "Thunder shook the windows of the little house.",
)


def train_only_sentence_name(index: int) -> str:
    return f"t{index:03d}"


def sentences_for(language: str) -> tuple[str, ...]:
    """The corpus sentences of `language` ('en', 'cs', 'fi', 'it', 'ca', 'ru', 'hi', 'mr', 'te')."""
    from tmrvc_data import sentences_world as w

    table = {"en": SENTENCES, "cs": w.SENTENCES_CS, "fi": w.SENTENCES_FI, "it": w.SENTENCES_IT,
             "ca": w.SENTENCES_CA, "ru": w.SENTENCES_RU, "hi": w.SENTENCES_HI, "mr": w.SENTENCES_MR,
             "te": w.SENTENCES_TE}
    if language not in table:
        raise ValueError(f"no corpus sentences for language '{language}'; expected one of {sorted(table)}")
    return table[language]


def sentence_name(language: str, index: int) -> str:
    """English sentences keep their historical names (s000 …); others are prefixed (cs_s000 …)."""
    return f"s{index:03d}" if language == "en" else f"{language}_s{index:03d}"
