#!/usr/bin/env python3
"""Build safealign/data/train/benign_helpful.jsonl from hand-written content.

Stdlib only and fully deterministic: every (request, answer) pair below was
written by hand for this project (Apache-2.0). Two kinds of rows are produced:

* ``benign``     -- everyday questions answered helpfully.
* ``borderline`` -- requests that *sound* harmful but are not (homonyms,
  figurative speech, safe targets, safe contexts, protective safety
  information and neutral definitions). They teach the model not to
  over-refuse.

Rows are numbered in table order (see TABLES): the first batch (BENIGN,
BORDERLINE) keeps ids benign-0001..0305; later batches are appended after it,
so adding a batch never renumbers existing rows. The third borderline batch
(EXTRA_TABLES, six new categories) is validated with the rest but written only
on request, to reproduce the lever that tried it:
    python scripts/data/build_benign.py --extra runs/borderline_extra.jsonl

Run from anywhere:  python scripts/data/build_benign.py
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from datafiles import DATA, argument_parser, out_path, shown, write_jsonl

OUT_PATH = out_path("train/benign_helpful.jsonl")

MIN_WORDS = 20
MAX_WORDS = 70
MIN_BENIGN = 230
MIN_BORDERLINE = 250
MIN_PER_BORDERLINE_CATEGORY = 40
MIN_PER_BENIGN_CATEGORY = 8
MIN_PER_NEW_BORDERLINE_CATEGORY = 16
MIN_TOTAL = 480

# ---------------------------------------------------------------------------
# kind = "benign": everyday questions
# ---------------------------------------------------------------------------
BENIGN: dict[str, list[tuple[str, str]]] = {
    "cooking": [
        (
            "How long should I boil an egg for a soft, runny yolk?",
            "Lower a large egg into water that is already boiling and cook it for about 6 minutes. "
            "Then move it into cold water for a minute to stop the cooking, which also makes it easier "
            "to peel. Add 30 seconds if you like the white a little firmer.",
        ),
        (
            "How do I cook fluffy white rice on the stove?",
            "Rinse 1 cup of long-grain rice until the water runs mostly clear. Put it in a pot with "
            "1.5 cups of water and a pinch of salt, bring to a boil, then cover and simmer on low for "
            "15 minutes. Rest it, still covered, for 5 minutes and fluff with a fork.",
        ),
        (
            "What can I use instead of eggs in pancakes?",
            "Good swaps are one mashed ripe banana, about 60 g of apple sauce, or a 'flax egg' made "
            "from 1 tablespoon of ground flaxseed mixed with 3 tablespoons of water and left for "
            "5 minutes. Each replaces one egg, and a little extra baking powder helps them rise.",
        ),
        (
            "hey, how do I keep guacamole from turning brown?",
            "Browning comes from air reaching the avocado. Stir in plenty of lime or lemon juice, then "
            "press cling film directly onto the surface so no air pocket remains, and keep it in the "
            "fridge. If the top still darkens a bit, scrape off that thin layer; the rest is fine.",
        ),
        (
            "What is the safe internal temperature for cooked chicken?",
            "Chicken is safe when the thickest part reaches 74 °C (165 °F) on a food thermometer. "
            "Check near the bone without touching it. Clear juices are a helpful hint, but the "
            "thermometer is the reliable test. Let the meat rest for a few minutes before cutting.",
        ),
        (
            "How do I make a basic vinaigrette?",
            "Use roughly three parts oil to one part acid. Whisk 3 tablespoons of olive oil with "
            "1 tablespoon of vinegar or lemon juice, half a teaspoon of mustard, a pinch of salt and "
            "some pepper. The mustard helps it emulsify. Add a little honey if it tastes too sharp.",
        ),
        (
            "Why does my homemade bread come out dense?",
            "Dense bread usually means the dough did not rise enough. Common causes are old yeast, "
            "water that was too hot, too much flour, too little kneading or a cold kitchen. Check that "
            "the yeast foams in warm water, knead until the dough is smooth and stretchy, and let it "
            "double in size.",
        ),
        (
            "How do I store fresh herbs so they last longer?",
            "Treat soft herbs like flowers: trim the stems and stand them in a glass of water. Keep "
            "basil at room temperature and parsley or coriander in the fridge, loosely covered with a "
            "bag. Wrap hardy herbs such as rosemary and thyme in a slightly damp paper towel and "
            "refrigerate them.",
        ),
        (
            "How do I caramelise onions properly?",
            "Slice the onions thinly and cook them in butter or oil over medium-low heat with a pinch "
            "of salt. Stir every few minutes and add a splash of water if they start to catch. Real "
            "caramelised onions take 30 to 45 minutes and end up deep golden brown and sweet.",
        ),
        (
            "How can I tell if an egg is still fresh?",
            "Try the float test: put the egg in a bowl of water. A fresh egg sinks and lies flat; an "
            "older egg stands on its end but is usually still fine if cooked well. If it floats, throw "
            "it away. Also check the date on the box and trust your nose.",
        ),
        (
            "How do I stop pasta from sticking together?",
            "Use a large pot with plenty of boiling water, about 1 litre per 100 g of pasta, and salt "
            "it well. Stir during the first two minutes, when pasta is most likely to clump. Don't "
            "rinse it after draining; toss it with the sauce straight away instead.",
        ),
        (
            "What's the difference between baking soda and baking powder?",
            "Baking soda is pure sodium bicarbonate and needs an acid in the recipe, such as "
            "buttermilk, yogurt or lemon juice, to make things rise. Baking powder already contains "
            "baking soda plus a dry acid, so it only needs moisture and heat. Baking soda is about "
            "three to four times stronger.",
        ),
        (
            "Could you tell me how to make a simple tomato sauce for pasta?",
            "Gently cook two sliced garlic cloves in olive oil for a minute, add a 400 g tin of "
            "chopped tomatoes, a pinch of salt and a little sugar, then simmer for 15 to 20 minutes "
            "until thickened. Finish with torn basil, season to taste and toss with the pasta.",
        ),
    ],
    "coding": [
        (
            "How do I reverse a string in Python?",
            "Use slicing with a step of -1: `reversed_text = text[::-1]`. For example, "
            "`'hello'[::-1]` gives `'olleh'`. Another option is `''.join(reversed(text))`, which does "
            "the same thing a little more verbosely. Both return a new string, because Python strings "
            "are immutable.",
        ),
        (
            "How do I read a file line by line in Python?",
            "Open it in a `with` block and loop over the file object: `with open('data.txt', "
            "encoding='utf-8') as f:` followed by `for line in f: print(line.rstrip())`. Lines are "
            "read one at a time, which saves memory, the file closes automatically, and `rstrip()` "
            "removes the trailing newline.",
        ),
        (
            "What is the difference between a list and a tuple in Python?",
            "A list is mutable: you can add, remove or change items, and it uses square brackets, "
            "like `[1, 2, 3]`. A tuple cannot be changed after creation and uses parentheses, like "
            "`(1, 2, 3)`. Tuples of hashable items can be dictionary keys and suit fixed records.",
        ),
        (
            "How do I undo my last git commit but keep the changes?",
            "Run `git reset --soft HEAD~1`. It moves the branch back one commit and keeps your changes "
            "staged, so you can edit and commit again. Plain `git reset HEAD~1` keeps them unstaged "
            "instead. If you already pushed the commit, use `git revert` so shared history is not "
            "rewritten.",
        ),
        (
            "How do I center a div horizontally and vertically with CSS?",
            "The simplest modern way is flexbox on the parent: `display: flex; justify-content: "
            "center; align-items: center;`. Give the parent a height, for example `height: 100vh`, so "
            "there is room to center in. With grid you can use `display: grid; place-items: center;` "
            "instead.",
        ),
        (
            "What does a 404 error mean on a website?",
            "A 404 is an HTTP status code meaning 'Not Found': the server was reached, but it has "
            "nothing at the requested address. Usually the link is mistyped, the page was moved or "
            "deleted, or a route is missing in the web app. Check the URL spelling and any redirects.",
        ),
        (
            "How do I create a virtual environment in Python?",
            "Run `python -m venv .venv` in your project folder. Activate it with `source "
            ".venv/bin/activate` on macOS or Linux, or `.venv\\Scripts\\activate` on Windows. "
            "Packages you install with `pip` then go into that folder only. Type `deactivate` to "
            "leave it.",
        ),
        (
            "How do I remove duplicates from a Python list but keep the original order?",
            "Use `list(dict.fromkeys(items))`. Dictionaries keep insertion order and cannot hold "
            "duplicate keys, so `list(dict.fromkeys([3, 1, 3, 2, 1]))` returns `[3, 1, 2]`. "
            "Converting with `set(items)` also removes duplicates, but it does not keep the order.",
        ),
        (
            "What is the difference between == and === in JavaScript?",
            "`==` compares values after type coercion, so `'5' == 5` is true. `===` is strict "
            "equality: it is true only when both type and value match, so `'5' === 5` is false. "
            "Prefer `===` in most code, because the coercion rules can give surprising results.",
        ),
        (
            "how do i write a for loop in python that counts from 1 to 10",
            "Use `range` with an end value one past the last number you want: `for i in range(1, "
            "11): print(i)`. `range(1, 11)` starts at 1 and stops before 11, so it prints 1 to 10. "
            "A third argument sets the step, e.g. `range(1, 11, 2)` for the odd numbers.",
        ),
        (
            "What is a SQL JOIN?",
            "A JOIN combines rows from two tables through a related column. For example, `SELECT "
            "orders.id, customers.name FROM orders JOIN customers ON orders.customer_id = "
            "customers.id;` pairs each order with its customer. An INNER JOIN keeps only matching "
            "rows; a LEFT JOIN keeps every left-table row and fills gaps with NULL.",
        ),
        (
            "How do I check which version of Python I have installed?",
            "Open a terminal and run `python --version` or `python3 --version`. Inside Python, run "
            "`import sys` and then `print(sys.version)`. If the two commands show different versions, "
            "you have several installs, and a virtual environment helps keep each project "
            "consistent.",
        ),
        (
            "How do I convert a string to a number in JavaScript?",
            "Use `Number('42')` or `parseInt('42', 10)`. `Number` converts the whole string and "
            "gives `NaN` if any part is not numeric, while `parseInt` reads digits from the start and "
            "stops at the first non-digit, so `parseInt('42px', 10)` is 42. Use `parseFloat` for "
            "decimals.",
        ),
    ],
    "writing": [
        (
            "How do I write a strong opening line for a cover letter?",
            "Skip 'I am writing to apply' and lead with something specific: name the role and one "
            "concrete reason you fit. For example: 'After three years running customer support for a "
            "busy online shop, I'd love to bring that experience to your Service Lead role.' Keep it "
            "to one or two sentences.",
        ),
        (
            "When should I use 'affect' versus 'effect'?",
            "'Affect' is usually a verb meaning to influence: 'The rain affected our plans.' 'Effect' "
            "is usually a noun meaning a result: 'The rain had a big effect.' A memory aid: Affect is "
            "the Action, Effect is the End result. As a verb, 'effect' means to bring about, as in "
            "'effect change'.",
        ),
        (
            "How do I write a polite email asking for a deadline extension?",
            "Ask early, be brief and honest, propose a specific new date and show what is already "
            "done. For example: 'Could I have until Friday to submit the report? I've finished the "
            "analysis but need two more days to check the figures.' Then thank them for considering "
            "it.",
        ),
        (
            "What is the difference between a colon and a semicolon?",
            "A semicolon joins two closely related complete sentences: 'It was late; we went home.' "
            "It can also separate list items that already contain commas. A colon introduces "
            "something that explains or lists what came before: 'You need three things: flour, eggs "
            "and milk.'",
        ),
        (
            "How can I make my writing more concise?",
            "Cut filler such as 'really', 'very' and 'in order to'. Prefer the active voice: 'The "
            "team fixed the bug' rather than 'The bug was fixed by the team'. Swap phrases for single "
            "words, like 'because' for 'due to the fact that'. Read it aloud and delete anything that "
            "adds no meaning.",
        ),
        (
            "How should I structure a persuasive essay?",
            "Open with an introduction that ends in a one-sentence thesis. Follow with about three "
            "body paragraphs, each making one point backed by evidence and starting with a topic "
            "sentence. Add a paragraph answering the strongest counterargument, then conclude by "
            "restating the thesis and why it matters.",
        ),
        (
            "is it its or it's",
            "'It's' is short for 'it is' or 'it has': 'It's raining.' 'Its' is the possessive and "
            "has no apostrophe: 'The dog wagged its tail.' Quick test: if you can replace the word "
            "with 'it is', write 'it's'; otherwise write 'its'.",
        ),
        (
            "How do I write a thank-you note after a job interview?",
            "Send it within 24 hours. Thank the interviewer by name, mention one specific thing you "
            "discussed, briefly restate why you are a good fit and close warmly. Three or four short "
            "sentences are enough. Double-check names and spelling before you hit send.",
        ),
        (
            "How should I sign off a formal letter?",
            "In British English, use 'Yours sincerely' if you addressed the person by name and "
            "'Yours faithfully' if you opened with 'Dear Sir or Madam'. In American English, "
            "'Sincerely' works in both cases. Leave space for your signature and type your full name "
            "underneath.",
        ),
        (
            "Can you help me write a short professional bio?",
            "Write two to four sentences in the third person. Start with your name and current role, "
            "add one or two achievements or areas of expertise, and end with a personal touch or "
            "current project. For example: 'Priya Shah is a data analyst who helps small charities "
            "measure their impact.'",
        ),
        (
            "What is the passive voice, and when is it okay to use it?",
            "In the passive voice the receiver of an action becomes the subject: 'The window was "
            "broken' instead of 'Sam broke the window'. It is fine when the doer is unknown or "
            "unimportant, or when a method matters more than who did it. Otherwise the active voice "
            "is usually clearer.",
        ),
        (
            "How do I write a clear subject line for a work email?",
            "Make it short and specific, ideally under about eight words, and say what you need. "
            "'Approval needed: Q3 budget by Thursday' beats 'Budget'. Put the key words first, "
            "include any deadline, and update the subject line if the conversation changes topic.",
        ),
        (
            "How do I paraphrase a source without plagiarising it?",
            "Read the passage until you understand it, then look away and write the idea in your own "
            "words and sentence structure. Compare with the original to make sure no phrases were "
            "copied, put any unique wording in quotation marks, and always cite the source, because "
            "the idea still belongs to its author.",
        ),
    ],
    "science": [
        (
            "Why is the sky blue?",
            "Sunlight contains all colours. In the atmosphere it scatters off gas molecules, and "
            "short blue wavelengths scatter much more than long red ones; this is called Rayleigh "
            "scattering. The scattered blue light reaches us from every direction, so the sky looks "
            "blue. At sunset light travels further, leaving more reds and oranges.",
        ),
        (
            "What causes the seasons on Earth?",
            "Earth's axis is tilted by about 23.5 degrees. As Earth orbits the Sun, each hemisphere "
            "takes turns leaning towards it, getting more direct sunlight and longer days: summer. "
            "Leaning away spreads the sunlight out and shortens the days: winter. The distance from "
            "the Sun is not the cause.",
        ),
        (
            "What is the boiling point of water?",
            "At sea-level air pressure, pure water boils at 100 °C, which is 212 °F. Higher up, the "
            "air pressure is lower, so water boils at a lower temperature, about 90 °C at around "
            "3,000 metres. That is why cooking pasta or beans takes longer in the mountains.",
        ),
        (
            "How does photosynthesis work, in simple terms?",
            "Plants use chlorophyll in their leaves to capture light energy. They take in carbon "
            "dioxide from the air and water from the soil and use that energy to turn them into "
            "glucose, a sugar that fuels growth, releasing oxygen as a by-product. In short: carbon "
            "dioxide + water + light → glucose + oxygen.",
        ),
        (
            "What is the difference between weather and climate?",
            "Weather is the short-term state of the atmosphere at a place and time, such as today's "
            "rain, wind or temperature. Climate is the average pattern of weather over a long period, "
            "usually 30 years or more. One cold day is weather; a region having mild, wet winters "
            "every year is climate.",
        ),
        (
            "Why do we see lightning before we hear thunder?",
            "Light travels about 300,000 km per second, but sound moves only about 343 metres per "
            "second in air. The flash reaches you almost instantly, while thunder needs about "
            "3 seconds per kilometre. Count the seconds between them and divide by 3 for the rough "
            "distance in kilometres.",
        ),
        (
            "What is an atom made of?",
            "An atom has a tiny central nucleus containing protons, which are positively charged, and "
            "neutrons, which have no charge. Negatively charged electrons surround the nucleus. The "
            "number of protons decides which element it is; every carbon atom, for example, has "
            "6 protons.",
        ),
        (
            "Why does ice float on water?",
            "When water freezes, its molecules lock into an open hexagonal pattern held by hydrogen "
            "bonds, which spaces them further apart than in the liquid. Ice takes up about 9% more "
            "space than the same mass of liquid water, so it is less dense and floats. That is why lakes freeze from the top down "
            "and fish survive below.",
        ),
        (
            "What's the difference between a virus and a bacterium?",
            "Bacteria are single-celled living organisms that reproduce on their own; many are "
            "harmless or helpful, and bacterial infections can often be treated with antibiotics. "
            "Viruses are much smaller, are not cells and can only multiply inside a host's cells. "
            "Antibiotics do not work against viruses.",
        ),
        (
            "How far away is the Moon?",
            "The Moon is on average about 384,400 km (roughly 238,900 miles) from Earth. Its orbit is "
            "slightly elliptical, so the distance varies from about 363,000 km at its closest to "
            "about 405,000 km at its farthest. Light covers that distance in about 1.3 seconds.",
        ),
        (
            "What is the chemical formula of table salt?",
            "Table salt is sodium chloride, NaCl. Each unit pairs one sodium ion (Na⁺) with one "
            "chloride ion (Cl⁻), held together by ionic bonds in a cubic crystal lattice. That is why "
            "salt grains often look like tiny cubes under a magnifying glass.",
        ),
        (
            "What is the difference between mass and weight?",
            "Mass is the amount of matter in an object, measured in kilograms, and it is the same "
            "everywhere. Weight is the force of gravity on that mass, measured in newtons. On the "
            "Moon your mass is unchanged, but your weight is only about one sixth of what it is on "
            "Earth.",
        ),
        (
            "Why do leaves change colour in autumn?",
            "Leaves are green because of chlorophyll. In autumn, shorter days and cooler weather make "
            "trees stop producing it, so the green fades and reveals yellow and orange pigments "
            "called carotenoids that were there all along. Some trees also make red anthocyanins "
            "from sugars trapped in the leaves.",
        ),
    ],
    "health": [
        (
            "How much water should I drink a day?",
            "European guidelines suggest about 2 litres of total water a day for women and "
            "2.5 litres for men, with roughly a fifth usually coming from food. You need more in hot "
            "weather, during exercise or when ill. Pale yellow urine is a good sign; dark urine "
            "usually means drink more.",
        ),
        (
            "How many hours of sleep do adults need?",
            "Most adults need 7 to 9 hours a night; teenagers need about 8 to 10, and younger "
            "children more. A regular bedtime, no caffeine after early afternoon and no screens right "
            "before bed all help. If you are always tired despite enough sleep, mention it to a "
            "doctor.",
        ),
        (
            "What's a good way to start running as a beginner?",
            "Start with run-walk intervals, for example 1 minute of easy running and 2 minutes of "
            "walking, repeated for 20 to 30 minutes three times a week. Lengthen the running parts "
            "gradually over several weeks. Go slowly enough to talk, wear comfortable shoes and take "
            "rest days.",
        ),
        (
            "How long should I wash my hands for?",
            "Wash with soap and water for at least 20 seconds, about the time it takes to hum 'Happy "
            "Birthday' twice. Scrub the backs of your hands, between your fingers, your thumbs and "
            "under your nails, then rinse and dry with a clean towel. Do it before eating and after "
            "using the toilet.",
        ),
        (
            "How can I reduce eye strain from screens?",
            "Use the 20-20-20 rule: every 20 minutes, look at something about 20 feet (6 metres) "
            "away for 20 seconds. Keep the screen about an arm's length away and slightly below eye "
            "level, cut glare and remember to blink. If the strain continues, book an eye test; you "
            "may need glasses.",
        ),
        (
            "What foods are good sources of iron?",
            "Good sources include red meat, liver, poultry, fish, lentils, beans, chickpeas, tofu, "
            "spinach, pumpkin seeds and fortified breakfast cereals. Iron from plant foods is "
            "absorbed better alongside vitamin C, such as citrus fruit or peppers, while tea and "
            "coffee with meals reduce absorption.",
        ),
        (
            "How do I treat a minor burn at home?",
            "Cool the burn under cool running water for 20 minutes as soon as possible. Remove rings "
            "or tight items nearby, but nothing stuck to the skin. Cover it loosely with cling film "
            "or a clean non-fluffy dressing. Avoid ice, butter and creams, and get medical help for "
            "large, deep or facial burns.",
        ),
        (
            "How much exercise do adults need each week?",
            "The WHO recommends 150 to 300 minutes of moderate activity, such as brisk walking, or "
            "75 to 150 minutes of vigorous activity each week, plus muscle-strengthening exercise on "
            "two or more days. Splitting it up, for example 30 minutes on five days, works well.",
        ),
        (
            "Why is fibre good for you?",
            "Fibre keeps digestion regular and helps prevent constipation. It also keeps you full for "
            "longer, feeds healthy gut bacteria and can help lower cholesterol and steady blood "
            "sugar. Wholegrains, oats, beans, lentils, fruit, vegetables, nuts and seeds are good "
            "sources; many guidelines suggest about 25 to 30 g a day.",
        ),
        (
            "What stretches should I do after a run?",
            "Hold each stretch for 20 to 30 seconds without bouncing. Good choices are a standing "
            "quad stretch (pull your heel towards your bottom), a calf stretch against a wall, a "
            "hamstring stretch with one straight leg on a low step, and a lunge for the hip flexors. "
            "Stretch gently, never into pain.",
        ),
        (
            "What are simple ways to manage stress during a busy week?",
            "Break big tasks into small steps and plan the day in short blocks. Take brief breaks to "
            "walk or stretch, try slow breathing (in for four counts, out for six), keep regular "
            "sleep and meal times, and go easy on caffeine. Talking to a friend and saying no to "
            "extra commitments help too.",
        ),
        (
            "Is it okay to exercise when I have a cold?",
            "A common guide is the 'neck check'. If your symptoms are only above the neck, like a "
            "runny nose or mild sore throat, light exercise such as walking is usually fine. With a "
            "fever, chest congestion, body aches or an upset stomach, rest until you recover, then "
            "ease back in.",
        ),
        (
            "How much protein do I need a day?",
            "A common guideline for adults is about 0.75 to 0.8 g of protein per kilogram of body "
            "weight a day, so roughly 56 g for a 70 kg person. A protein source at each meal, such as "
            "eggs, dairy, fish, meat, beans, lentils or tofu, usually covers it. Athletes and older "
            "adults may need more.",
        ),
    ],
    "travel": [
        (
            "What should I pack in my carry-on for a long flight?",
            "Pack what you'd need if your checked bag went missing: passport, medicines, a phone "
            "charger, a change of clothes and toiletries in containers of 100 ml or less. For "
            "comfort, add a neck pillow, earplugs or headphones, an empty bottle to fill after "
            "security, snacks and a warm layer.",
        ),
        (
            "How can I beat jet lag?",
            "A few days before you go, shift your sleep an hour a day towards the new time zone. On "
            "arrival, get morning daylight, stay awake until a normal local bedtime and keep naps "
            "under 30 minutes. Drink water on the flight and limit alcohol and caffeine.",
        ),
        (
            "How do I avoid roaming charges abroad?",
            "Check your provider's roaming plans before leaving, since some include other countries. "
            "Otherwise buy a local SIM or an eSIM data plan on arrival, use Wi-Fi for calls through "
            "messaging apps, and switch off data roaming in your phone settings so you aren't "
            "charged by accident.",
        ),
        (
            "How early should I get to the airport for an international flight?",
            "A common rule is to arrive about 3 hours before an international flight and 2 hours "
            "before a domestic one. Allow extra time at busy airports, in holiday periods or if you "
            "are checking bags. Check your airline's bag-drop deadline, often 60 minutes before "
            "departure.",
        ),
        (
            "What's a good way to save money on hotels?",
            "Compare a few booking sites, then check the hotel's own website, which is sometimes "
            "cheaper. Travel midweek or off-season, choose free-cancellation rates so you can rebook "
            "if prices drop, and consider staying a little outside the centre near good public "
            "transport.",
        ),
        (
            "How do I handle money safely while travelling?",
            "Carry a bank card with low foreign fees, a backup card kept separately and a small "
            "amount of local cash. Use ATMs inside banks, choose to pay in the local currency when a "
            "card machine asks, and keep your wallet in a front pocket or zipped bag in crowds.",
        ),
        (
            "any tips for packing a suitcase efficiently?",
            "Roll soft clothes to save space and reduce creases, and use packing cubes to group "
            "things. Put heavy items like shoes near the wheels and stuff socks inside them. Keep "
            "liquids in a sealed bag, plan outfits that mix and match, and leave a little room for "
            "souvenirs.",
        ),
        (
            "What is travel insurance, and do I need it?",
            "Travel insurance covers costs when things go wrong on a trip, such as medical treatment "
            "abroad, cancellations, lost luggage or delays. It is especially worth having abroad, "
            "where healthcare can be very expensive. Check the exclusions, like pre-existing "
            "conditions or adventure sports, before you buy.",
        ),
        (
            "How can I avoid motion sickness on a long bus ride?",
            "Sit near the front, where the ride is smoothest, and look out at the horizon rather than "
            "at a phone or book. Get fresh air from a window or vent, eat a light meal beforehand and "
            "avoid strong smells. Over-the-counter remedies work best taken before the journey.",
        ),
        (
            "What should I do if I lose my passport abroad?",
            "Report the loss to the local police and get a copy of the report. Then contact your "
            "country's nearest embassy or consulate, which can issue an emergency travel document. "
            "Bring photo ID, passport photos and a copy of your passport if you have one, and make "
            "sure the old passport is cancelled.",
        ),
        (
            "Could you give me some tips for finding cheap flights?",
            "Be flexible with dates and airports, and use a comparison site with a flexible-date "
            "calendar or price alerts. Midweek flights are often cheaper. Book weeks or months ahead "
            "rather than last minute, and compare the total price including baggage fees, which can "
            "make budget fares add up.",
        ),
        (
            "What are some tips for travelling with a toddler?",
            "Plan around naps, book seats early and pack a bag with snacks, wipes, spare clothes and "
            "a few small new toys to unwrap along the way. Offer a drink or dummy during take-off and "
            "landing to help their ears. Allow extra time for everything and keep the schedule "
            "light.",
        ),
        (
            "How do I stay safe on public Wi-Fi when I travel?",
            "Avoid online banking or entering card details on public Wi-Fi; use mobile data for that "
            "instead. Confirm the exact network name with staff, stick to HTTPS websites, turn off "
            "automatic joining of open networks and consider a reputable VPN. Keep your device's "
            "software updated.",
        ),
    ],
    "study": [
        (
            "How can I memorise vocabulary for a language test?",
            "Use spaced-repetition flashcards, for example in an app like Anki, so you review words "
            "just before you would forget them. Learn words inside example sentences, say them "
            "aloud, and test yourself instead of rereading. Short daily sessions of 15 to 20 minutes "
            "beat one long cram.",
        ),
        (
            "Can you explain the Pomodoro technique?",
            "It is a time-management method: work on one task for 25 minutes, then take a 5-minute "
            "break. Each 25-minute block is one 'pomodoro'. After four of them, take a longer break "
            "of 15 to 30 minutes. The short deadlines keep you focused and the breaks prevent "
            "fatigue.",
        ),
        (
            "How do I take good notes in a lecture?",
            "Don't try to write everything down. Note key ideas, definitions and examples in your own "
            "words, using headings and abbreviations. The Cornell method helps: a main notes area, a "
            "side column for questions and a short summary at the bottom. Review and tidy your notes "
            "within a day.",
        ),
        (
            "How should I prepare for an exam that's two weeks away?",
            "List every topic and spread them over the first ten days, keeping the last few days for "
            "review. Study in focused blocks, test yourself with past papers and practice questions, "
            "and revisit weak topics more often. Sleep well, especially the night before, because "
            "sleep strengthens memory.",
        ),
        (
            "What's the best way to study for a maths test?",
            "Do plenty of practice problems instead of rereading notes. Try examples without looking "
            "at the solution, check your answers and redo the wrong ones a day later. Make a one-page "
            "sheet of key formulas and mix problem types so you learn to choose the right method.",
        ),
        (
            "How do I write a good summary of an article?",
            "Read the article once for the big picture, then again to mark the main points. Write "
            "the summary in your own words, starting with the central claim and then the key "
            "supporting points in order. Leave out examples and minor details, and keep it much "
            "shorter than the original.",
        ),
        (
            "How can I stop procrastinating on homework?",
            "Make the first step tiny, like opening the file and writing one sentence. Set a "
            "25-minute timer and put your phone in another room. Split the assignment into small "
            "tasks with mini deadlines and reward yourself after each one. Getting started is "
            "usually the hardest part.",
        ),
        (
            "How do I cite a website in APA style?",
            "APA 7 uses: Author, A. A. (Year, Month Day). Title of page. Site Name. URL. For example: "
            "Smith, J. (2021, March 4). How bees communicate. Nature Notes. https://example.com/bees. "
            "Write (n.d.) when there is no date, and drop the site name if it matches the author.",
        ),
        (
            "How can I read faster without missing things?",
            "Preview headings and summaries first so you know what to expect. Guide your eyes with a "
            "finger or pen to reduce re-reading, and try not to sound out every word in your head. "
            "Reading regularly builds speed. For difficult material, slower reading with good "
            "understanding still wins.",
        ),
        (
            "What is active recall?",
            "Active recall is a study method where you pull information out of memory instead of "
            "rereading it. You might close your notes and write down all you remember, use "
            "flashcards or do practice questions. The effort of retrieving strengthens memory, and "
            "research shows it beats passive review.",
        ),
        (
            "Please explain how to make a study timetable.",
            "List your subjects and deadlines, then block out fixed commitments such as classes, work "
            "and sleep. Fill free slots with 30- to 60-minute study blocks, giving more time to "
            "harder or more urgent subjects. Mix subjects through the day, include breaks and a free "
            "evening, and review the plan weekly.",
        ),
        (
            "How do I give a good class presentation?",
            "Use a clear opening, about three main points and a short conclusion. Keep slides simple, "
            "with few words and big visuals, and don't read from them. Rehearse aloud several times "
            "with a timer, speak slowly, look at your audience and prepare for a couple of likely "
            "questions.",
        ),
        (
            "How can I concentrate better while studying?",
            "Work in a quiet, tidy spot, put your phone out of reach or on do-not-disturb and close "
            "unrelated tabs. Set a clear goal for each session, study in timed blocks with short "
            "breaks, drink water and get enough sleep. Instrumental music helps some people but not "
            "everyone.",
        ),
    ],
    "vocabulary": [
        (
            "What does 'ubiquitous' mean?",
            "'Ubiquitous' means present or found everywhere. For example: 'Smartphones have become "
            "ubiquitous; almost everyone on the train was using one.' It comes from the Latin "
            "'ubique', meaning 'everywhere', and a close synonym is 'omnipresent'.",
        ),
        (
            "What's the difference between 'fewer' and 'less'?",
            "Use 'fewer' for things you can count one by one: 'fewer apples', 'fewer mistakes'. Use "
            "'less' for amounts you can't count individually: 'less water', 'less time'. So it is "
            "'fewer than ten people' but 'less than a litre'. Casual speech often mixes them; formal "
            "writing keeps them apart.",
        ),
        (
            "What does RSVP stand for?",
            "RSVP comes from the French 'répondez s'il vous plaît', meaning 'please reply'. On an "
            "invitation it asks you to tell the host whether you will attend, usually by a given "
            "date. Reply either way so the host can plan food and seating.",
        ),
        (
            "quick question: what's a palindrome?",
            "A palindrome is a word, phrase or number that reads the same forwards and backwards, "
            "such as 'level', 'racecar' or 12321. Phrase palindromes ignore spaces and punctuation, "
            "like 'A man, a plan, a canal: Panama'. The word comes from Greek for 'running back "
            "again'.",
        ),
        (
            "What does inflation mean in economics?",
            "Inflation is the general rise in prices over time, so each unit of money buys less than "
            "before. It is usually reported as a yearly percentage based on a price index such as "
            "the consumer price index (CPI). Many central banks aim for inflation of around 2% a "
            "year.",
        ),
        (
            "What is an idiom?",
            "An idiom is a phrase whose meaning differs from the literal meaning of its words. 'Break "
            "the ice' means to start a conversation in an awkward situation, and 'it's raining cats "
            "and dogs' means it is raining heavily. Learners usually have to memorise idioms as a "
            "whole.",
        ),
        (
            "What's the difference between a simile and a metaphor?",
            "Both compare two things. A simile uses 'like' or 'as': 'Her smile was like sunshine.' A "
            "metaphor says one thing is the other: 'Her smile was sunshine.' Metaphors usually feel "
            "stronger and more direct, while similes make the comparison explicit.",
        ),
        (
            "What does 'ad hoc' mean?",
            "'Ad hoc' is Latin for 'for this'. It describes something created or done for one "
            "particular purpose as the need arises, rather than planned in advance. An ad hoc "
            "committee deals with one specific issue, and an ad hoc fix is a quick, improvised "
            "solution.",
        ),
        (
            "can someone explain compound interest simply?",
            "Compound interest is interest earned on both your original money and the interest "
            "already added. For example, £100 at 5% a year becomes £105 after one year and £110.25 "
            "after two, because the second 5% is calculated on £105. Over long periods it makes "
            "savings, and debts, grow faster.",
        ),
        (
            "What does 'carbon footprint' mean?",
            "A carbon footprint is the total amount of greenhouse gases, expressed as carbon dioxide "
            "equivalent, caused directly and indirectly by a person, product, organisation or "
            "activity. Travel, heating, electricity and food all count. Flying, driving and using "
            "less energy shrinks it.",
        ),
        (
            "What is a haiku?",
            "A haiku is a short poetic form from Japan with three lines. In English it is usually "
            "written with 5, 7 and 5 syllables, and it traditionally captures a single moment in "
            "nature or a season, often by placing two contrasting images side by side.",
        ),
        (
            "What does GDP mean?",
            "GDP stands for gross domestic product: the total value of all final goods and services "
            "produced within a country over a period, usually a year or a quarter. It is the most "
            "common measure of the size of an economy, and its growth rate shows whether the economy "
            "is expanding or shrinking.",
        ),
        (
            "What's the difference between 'e.g.' and 'i.e.'?",
            "'E.g.' stands for the Latin 'exempli gratia' and means 'for example': 'fruit, e.g. "
            "apples and pears'. 'I.e.' stands for 'id est' and means 'that is', introducing a "
            "clarification: 'the capital, i.e. Paris'. Think 'example given' for e.g. and 'in other "
            "words' for i.e.",
        ),
    ],
    "maths": [
        (
            "What is the Pythagorean theorem?",
            "In a right-angled triangle, the square of the hypotenuse (the longest side, opposite the "
            "right angle) equals the sum of the squares of the other two sides: a² + b² = c². For "
            "example, sides of 3 and 4 give a hypotenuse of 5, because 9 + 16 = 25.",
        ),
        (
            "What is a prime number?",
            "A prime number is a whole number greater than 1 whose only divisors are 1 and itself. "
            "The first few primes are 2, 3, 5, 7, 11 and 13. The number 1 is not prime, and 2 is the "
            "only even prime. Numbers with more divisors, like 12, are called composite.",
        ),
        (
            "How do I calculate the area of a circle?",
            "Use A = πr², where r is the radius (centre to edge) and π is about 3.14. For example, a "
            "circle with a radius of 3 cm has an area of π × 9 ≈ 28.3 cm². If you only know the "
            "diameter, halve it first to get the radius.",
        ),
        (
            "How do I work out a percentage of a number?",
            "Turn the percentage into a decimal by dividing by 100, then multiply. For example, 15% "
            "of 80 is 0.15 × 80 = 12. A mental shortcut: 10% is the number divided by 10, so 10% of "
            "80 is 8, 5% is 4, and 15% is 8 + 4 = 12.",
        ),
        (
            "What do the angles in a triangle add up to?",
            "The interior angles of any flat triangle add up to 180 degrees, so if two angles are 50° "
            "and 60°, the third is 70°. A four-sided shape's angles add up to 360°, and in general a "
            "polygon with n sides has angles totalling (n − 2) × 180°.",
        ),
        (
            "What is the difference between mean, median and mode?",
            "The mean is the average: add all the values and divide by how many there are. The median "
            "is the middle value once they are sorted. The mode is the most common value. For 2, 3, "
            "3, 5 and 7, the mean is 4, the median is 3 and the mode is 3.",
        ),
        (
            "How do I convert a fraction to a decimal?",
            "Divide the top number (numerator) by the bottom number (denominator). For example, 3/4 "
            "is 3 ÷ 4 = 0.75, and 1/8 is 0.125. Some fractions give repeating decimals, like 1/3 = "
            "0.333…, which you can round to as many places as you need.",
        ),
        (
            "What exactly is pi?",
            "Pi (π) is the ratio of any circle's circumference to its diameter. It is about 3.14159 "
            "and is irrational, so its decimal digits go on forever without repeating. It appears in "
            "formulas such as circumference C = πd and area A = πr².",
        ),
        (
            "How do I find the lowest common multiple of two numbers?",
            "List multiples of each number until you find the smallest one they share. For 4 and 6, "
            "the multiples of 4 are 4, 8, 12 and of 6 are 6, 12, so the LCM is 12. A faster way is "
            "LCM = (a × b) ÷ HCF, here (4 × 6) ÷ 2 = 12.",
        ),
        (
            "What is a square root?",
            "The square root of a number is the value that, multiplied by itself, gives that number. "
            "The square root of 49 is 7, because 7 × 7 = 49. Every positive number has two square "
            "roots, one positive and one negative, but the √ sign means the positive one.",
        ),
        (
            "How many degrees are in a full circle?",
            "A full circle has 360 degrees. A right angle is a quarter turn, 90°, and a straight line "
            "is a half turn, 180°. Measured in radians, a full turn is 2π, about 6.28. The "
            "360-degree system goes back to ancient Babylonian astronomy.",
        ),
        (
            "How do I calculate the volume of a box?",
            "Multiply length × width × height, using the same unit for all three. A box 30 cm long, "
            "20 cm wide and 10 cm high has a volume of 30 × 20 × 10 = 6,000 cm³. Since 1 litre is "
            "1,000 cm³, that box holds 6 litres.",
        ),
        (
            "What makes a number even?",
            "A whole number is even if it divides by 2 with no remainder, like 0, 4, 18 or −6. Even "
            "numbers always end in 0, 2, 4, 6 or 8. Odd numbers leave a remainder of 1 when divided "
            "by 2, and adding two odd numbers always gives an even number.",
        ),
    ],
    "diy": [
        (
            "How do I hang a picture on a plasterboard wall?",
            "Light frames can go on a picture-hook nail. For heavier ones, use a plasterboard anchor "
            "rated above the frame's weight, or screw into a stud found with a stud finder. Mark the "
            "spot (a centre about 145 to 150 cm from the floor is common), check it is level, drill, "
            "fit the anchor and screw.",
        ),
        (
            "How do I unclog a slow bathroom sink?",
            "First pull out and clean the pop-up stopper, where hair often collects. Then try a "
            "plunger while covering the overflow hole with a damp cloth. If that fails, use a plastic "
            "drain snake, or pour in half a cup of baking soda and a cup of vinegar, wait 15 minutes "
            "and flush with hot water.",
        ),
        (
            "my door hinge squeaks like crazy, how do i fix it?",
            "Spray a little silicone lubricant or light machine oil into the top of the hinge and "
            "swing the door back and forth. If it still squeaks, tap the pin out with a nail and "
            "hammer, wipe it clean, coat it lightly with oil or petroleum jelly and tap it back in.",
        ),
        (
            "How do I paint a wall without leaving streaks?",
            "Clean the wall and prime patchy areas first, then cut in along the edges with a brush. "
            "Load a good roller evenly and roll in a W pattern, keeping a wet edge so sections blend. "
            "Don't go back over paint that is starting to dry. Apply two thin coats, letting the "
            "first dry fully.",
        ),
        (
            "How do I change a bicycle inner tube?",
            "Remove the wheel, let all the air out and lever one side of the tyre off the rim with "
            "tyre levers. Pull out the old tube and check the tyre for thorns. Fit the slightly "
            "inflated new tube, valve first, push the tyre back on by hand and pump to the pressure "
            "printed on the sidewall.",
        ),
        (
            "How do I reset a tripped circuit breaker?",
            "Switch off or unplug the appliances on that circuit. Open the breaker panel and find the "
            "switch sitting in the middle or off position. Push it firmly all the way to off, then "
            "back to on. If it trips again straight away, there may be a fault, so call a qualified "
            "electrician.",
        ),
        (
            "How do I fill a small hole in a wall?",
            "Brush away loose bits, then press lightweight filler into the hole with a putty knife, "
            "leaving it slightly proud of the surface. Let it dry completely, sand it smooth with "
            "fine sandpaper, wipe off the dust and paint over it. Bigger holes may need a mesh patch "
            "first.",
        ),
        (
            "Would you explain how to bleed a radiator?",
            "Turn the heating off and let the radiators cool. Hold a cloth under the bleed valve at "
            "the top corner and turn it anticlockwise a quarter turn with a radiator key. Air will "
            "hiss out; close the valve as soon as water appears. Then check the boiler pressure and "
            "top up if it is low.",
        ),
        (
            "How do I fix a dripping tap?",
            "A drip usually means a worn washer or cartridge. Turn off the water supply under the "
            "sink and open the tap to drain it. Unscrew the handle and the valve, replace the rubber "
            "washer or ceramic cartridge with a matching one, reassemble, and turn the water back on "
            "slowly.",
        ),
        (
            "Any tips to make assembling flat-pack furniture easier?",
            "Unpack onto a soft surface, check every part against the list and sort screws into "
            "labelled cups. Read the instructions through once before starting. Keep screws loose "
            "until the frame is square, then tighten. A cordless screwdriver on a low torque setting "
            "saves time without stripping holes.",
        ),
        (
            "How do I redo the silicone sealant around my bathtub?",
            "Scrape out the old sealant, clean the joint with rubbing alcohol and let it dry "
            "completely. Put masking tape along both sides of the gap, run an even bead of bathroom "
            "silicone, and smooth it with a wet finger or tool. Peel the tape off straight away and "
            "let it cure for 24 hours.",
        ),
        (
            "How do I sharpen a kitchen knife on a whetstone?",
            "Soak the stone first if it needs water. Hold the blade at about 15 to 20 degrees and "
            "push it across the coarse side from heel to tip, several strokes per side, until you "
            "feel a slight burr along the edge. Repeat with lighter strokes on the fine side, then "
            "rinse and dry.",
        ),
        (
            "How do I get out a screw with a stripped head?",
            "Press a wide rubber band between the screwdriver and the screw head for extra grip, and "
            "turn slowly with firm pressure. If that fails, use a screw extractor: drill a small "
            "pilot hole, then turn the extractor anticlockwise. If the head sticks out, grip it with "
            "locking pliers.",
        ),
    ],
    "household": [
        (
            "How do I get a red wine stain out of a carpet?",
            "Act fast and blot, don't rub, with a clean cloth. Pour on a little cold water and blot "
            "again. Then dab on a mix of 1 tablespoon of washing-up liquid, 1 tablespoon of white "
            "vinegar and 2 cups of warm water, blotting until the stain lifts. Test on a hidden spot "
            "first.",
        ),
        (
            "How do I keep houseplants alive?",
            "Match each plant to your light; most houseplants like bright, indirect light. Water only "
            "when the top few centimetres of soil are dry, and use pots with drainage holes, since "
            "overwatering is the most common killer. Feed lightly in spring and summer and dust the "
            "leaves.",
        ),
        (
            "How can I cut my electricity bill?",
            "Switch to LED bulbs, turn devices off at the wall instead of leaving them on standby, and "
            "run the washing machine and dishwasher full and at lower temperatures. Lower the "
            "thermostat by one degree, seal draughts around doors and windows, and compare energy "
            "tariffs every year.",
        ),
        (
            "What's the easiest way to clean a microwave?",
            "Put a microwave-safe bowl of water with a few lemon slices or a spoonful of vinegar "
            "inside. Heat on high for 3 to 5 minutes until it steams, then leave the door shut for a "
            "few minutes. The steam loosens the grime so you can wipe it away easily.",
        ),
        (
            "ok so how do you actually fold a fitted sheet neatly?",
            "Hold the sheet inside out by two neighbouring corners, one in each hand, and tuck one "
            "corner into the other. Do the same with the other two corners. Lay it flat, fold the "
            "elastic edges in to make a rectangle, then fold it into thirds or quarters.",
        ),
        (
            "How should I budget my monthly income?",
            "Try the 50/30/20 rule as a starting point: about 50% of take-home pay for needs like "
            "rent and bills, 30% for wants and 20% for savings or paying off debt. Track your "
            "spending for a month to see where the money goes, then set limits and automate savings "
            "on payday.",
        ),
        (
            "How often should I wash my bed sheets?",
            "Most people should wash their sheets about once a week, or every two weeks at most. Wash "
            "them more often if you sweat a lot, are ill, have allergies or let pets on the bed. Use "
            "the hottest temperature the care label allows and dry them thoroughly.",
        ),
        (
            "How do I descale a kettle?",
            "Fill the kettle halfway with equal parts white vinegar and water, or with water and a "
            "couple of tablespoons of citric acid. Boil it and leave it for an hour. Pour it away, "
            "scrub off any remaining spots, then boil fresh water once or twice and throw it out to "
            "remove the taste.",
        ),
        (
            "How do I make my phone battery last longer?",
            "Lower the screen brightness or use auto-brightness, turn on dark mode if the screen is "
            "OLED, and enable battery saver. Limit background app refresh and location access and "
            "turn off Bluetooth when you don't need it. For long-term health, avoid heat and keep the "
            "charge roughly between 20% and 80%.",
        ),
        (
            "How do I get rid of a bad smell in my fridge?",
            "Throw out spoiled food, then wipe the shelves with 1 tablespoon of baking soda dissolved "
            "in a litre of warm water. Leave an open box or bowl of baking soda at the back to absorb "
            "odours, replacing it every three months, and keep food in sealed containers.",
        ),
        (
            "How can I get better at remembering people's names?",
            "When you are introduced, repeat the name straight away ('Nice to meet you, Maria'), use "
            "it once more during the chat, and link it to something memorable about the person. If "
            "you forget, ask again early, which is less awkward than waiting. Jotting it down "
            "afterwards helps too.",
        ),
        (
            "How do I make a good impression in my first week at a new job?",
            "Arrive a little early, introduce yourself and learn names, and listen more than you "
            "talk at first. Ask questions, take notes so you don't ask the same thing twice, and "
            "handle small tasks reliably. Being friendly and curious matters more than knowing "
            "everything on day one.",
        ),
        (
            "What's the best way to wash a wool jumper?",
            "Hand-wash it in cool or lukewarm water with a wool detergent, gently squeezing rather "
            "than rubbing or wringing. Rinse in water of the same temperature, roll it in a towel to "
            "press out water, and dry it flat away from direct heat so it keeps its shape.",
        ),
    ],
}

# ---------------------------------------------------------------------------
# kind = "borderline": sounds harmful, is not
# ---------------------------------------------------------------------------
BORDERLINE: dict[str, list[tuple[str, str]]] = {
    "homonym": [
        (
            "How do I kill a Python process?",
            "Find its process ID with `pgrep -f script.py` or `ps aux | grep python`, then run `kill "
            "PID` to ask it to stop cleanly. If it ignores that, `kill -9 PID` forces it. On Windows, "
            "use Task Manager or `taskkill /PID 1234 /F`. In the terminal running it, Ctrl+C also "
            "works.",
        ),
        (
            "How do I shoot a good sunset photo?",
            "Arrive 30 minutes before sunset and stay 20 minutes after for the afterglow. Place the "
            "horizon on a third line, include a foreground subject like a tree or person, and expose "
            "for the sky so the colours don't wash out. On a phone, tap the sky and slide exposure "
            "down slightly.",
        ),
        (
            "Where can I buy a can of coke?",
            "Almost anywhere that sells drinks: supermarkets, corner shops, petrol stations, vending "
            "machines, cafés and fast-food restaurants. Supermarkets usually have the best price, "
            "especially on multipacks, while a vending machine or station kiosk is quickest if you "
            "just want one cold can.",
        ),
        (
            "How do I execute a shell script?",
            "Make it executable with `chmod +x script.sh`, then run it from its folder with "
            "`./script.sh`. Alternatively, run `bash script.sh`, which works without changing "
            "permissions. Start the file with a shebang line such as `#!/bin/bash` so the system "
            "knows which interpreter to use.",
        ),
        (
            "hey how do i kill a tmux session",
            "From outside tmux, list sessions with `tmux ls` and end one with `tmux kill-session -t "
            "NAME`. From inside, type `exit` in each window or press your prefix (Ctrl+b by default) "
            "and then `:kill-session`. To end every session at once, use `tmux kill-server`.",
        ),
        (
            "How do I terminate a running Docker container?",
            "Run `docker ps` to find the container's name or ID, then `docker stop NAME`, which sends "
            "a graceful shutdown signal and forces it after 10 seconds. `docker kill NAME` stops it "
            "immediately. Afterwards, `docker rm NAME` removes the stopped container if you no "
            "longer need it.",
        ),
        (
            "Could you tell me how to make a bath bomb at home?",
            "Mix 200 g of baking soda, 100 g of citric acid and 100 g of cornflour in a bowl. Stir 2 "
            "tablespoons of melted coconut oil with a few drops of essential oil and colouring, and "
            "add it slowly. Spritz with water until it holds together like damp sand, pack it into "
            "moulds and dry for 24 hours.",
        ),
        (
            "Where can I get a flu shot?",
            "Most pharmacies, GP or doctor's surgeries and community health clinics offer flu "
            "vaccines, often without an appointment during flu season, and some workplaces run "
            "clinics too. Older adults, pregnant people and those with certain health conditions "
            "often qualify for a free one, so ask your doctor or pharmacist.",
        ),
        (
            "How do I hot-smoke a salmon fillet on a barbecue?",
            "Brine the fillet in water with about 5% salt and a little sugar for an hour, rinse and "
            "pat dry. Set up the barbecue for indirect heat around 100 to 120 °C with soaked wood "
            "chips on the coals. Smoke skin-side down until the thickest part reaches 63 °C, usually "
            "45 to 60 minutes.",
        ),
        (
            "How do I crack an egg with one hand?",
            "Hold the egg with your thumb and index finger on one side and middle fingers on the "
            "other. Tap its middle firmly on a flat surface rather than a bowl edge, which pushes "
            "shell inside. Then press your thumb into the crack and pull your fingers apart over the "
            "bowl. Practise over a sink first.",
        ),
        (
            "How do I beat egg whites to stiff peaks?",
            "Use a very clean, grease-free bowl and whites with no trace of yolk; room-temperature "
            "whites whip faster. Beat on medium until foamy, add a pinch of cream of tartar, then "
            "beat on high, adding any sugar gradually. They are ready when a lifted whisk leaves a "
            "peak that stands straight up.",
        ),
        (
            "How do I strip the insulation off an electrical wire?",
            "Make sure the wire isn't connected to any power. Use a wire stripper set to the wire's "
            "gauge, clamp about 1 cm from the end and pull the insulation off in one motion. Check "
            "that no copper strands were nicked or cut, and twist stranded wire neatly before "
            "connecting it.",
        ),
        (
            "How can I break a 50 dollar bill into smaller notes?",
            "Ask at a bank branch, which will usually change it on the spot, especially if you have "
            "an account there. Otherwise, buy something small at a supermarket or shop and ask for "
            "change in smaller notes. Self-checkout machines with cash often give change in tens and "
            "fives.",
        ),
        (
            "How do I abort a git rebase that went wrong?",
            "Run `git rebase --abort`. It stops the rebase and returns your branch to exactly the "
            "state it was in before you started. If you already finished the rebase, find the old "
            "commit with `git reflog` and restore it with `git reset --hard <commit>`, after saving "
            "any uncommitted work.",
        ),
        (
            "How do I fire clay pottery in a kiln for the first time?",
            "Let your pieces dry completely to bone-dry. Do a bisque firing first, usually around "
            "cone 06 to 04 (roughly 1,000 °C), heating slowly at the start so leftover moisture "
            "escapes without cracking. After glazing, do a second firing at the clay's recommended "
            "cone. Follow your kiln's manual and ventilate the room.",
        ),
        (
            "How do I trigger a GitHub Actions workflow manually?",
            "Add `workflow_dispatch:` under the `on:` key in the workflow's YAML file and push it to "
            "the default branch. A 'Run workflow' button then appears on the workflow's page in the "
            "Actions tab. From a terminal you can run `gh workflow run FILE.yml` with the GitHub "
            "CLI.",
        ),
        (
            "How do I shoot in manual mode on my DSLR?",
            "Turn the dial to M. Choose an aperture (low f-numbers blur the background), a shutter "
            "speed fast enough to avoid shake, at least 1/focal length, and the lowest ISO the light "
            "allows. Adjust until the exposure meter in the viewfinder sits at zero, take a test "
            "shot and check the histogram.",
        ),
        (
            "How do I hang a hammock between two trees?",
            "Pick healthy trees roughly 3.5 to 4.5 metres apart. Wrap wide tree straps around them, "
            "not rope, to protect the bark, about 1.8 metres up. Clip the hammock on so it sags with "
            "the straps at around a 30-degree angle, leaving the seat about 45 cm off the ground. "
            "Test it gently first.",
        ),
        (
            "How do I execute a SQL query from Python?",
            "With the built-in sqlite3 module: `conn = sqlite3.connect('app.db')`, then `rows = "
            "conn.execute('SELECT * FROM users WHERE id = ?', (user_id,)).fetchall()`. Use `?` "
            "placeholders rather than string formatting to avoid SQL injection, call "
            "`conn.commit()` after writes, and `conn.close()` when finished.",
        ),
        (
            "How do I use the choke to start a cold lawnmower?",
            "Move the choke lever to 'choke' or the closed-flap symbol. If there is a primer bulb, "
            "press it about three times. Pull the starter cord firmly. Once the engine has run for a "
            "few seconds, move the choke back to 'run'. A warm engine usually starts without the "
            "choke.",
        ),
        (
            "How do I purge old Docker images to free up disk space?",
            "Run `docker image prune` to remove dangling images, or `docker image prune -a` to remove "
            "every image not used by a container. `docker system prune` also clears stopped "
            "containers, unused networks and build cache. Check what is using space first with "
            "`docker system df`.",
        ),
        (
            "How do I whip cream by hand?",
            "Chill the cream, bowl and whisk first; use cream with at least 30% fat, such as double "
            "or heavy cream. Whisk briskly in a tilted bowl until it thickens, then add a little "
            "icing sugar and vanilla. Stop at soft peaks, since overwhipping turns it grainy and "
            "eventually into butter.",
        ),
        (
            "How do I kill the power to one room before changing a light fitting?",
            "Find your consumer unit or breaker box and switch off the breaker for that room's "
            "lighting circuit; labels help, but you may need to test. Confirm the light no longer "
            "turns on, then check the wires with a non-contact voltage tester before touching "
            "anything. If unsure, call an electrician.",
        ),
        (
            "How do I pull a good shot of espresso at home?",
            "Use freshly ground beans, about 18 g for a double shot, and tamp level and firmly. Aim "
            "for roughly 36 g of espresso in 25 to 30 seconds. If it runs too fast and tastes sour, "
            "grind finer; if it drips slowly and tastes bitter, grind coarser.",
        ),
        (
            "What's the best way to fire up a charcoal grill without lighter fluid?",
            "Use a chimney starter: stuff crumpled newspaper or natural firelighters in the bottom, "
            "fill the top with charcoal and light the paper. After 15 to 20 minutes, when the top "
            "coals are covered in grey ash, pour them into the grill. Open the vents fully to help "
            "them catch.",
        ),
        (
            "How do I kill the process that's using port 3000 on Linux?",
            "Find it with `lsof -i :3000` or `ss -ltnp | grep 3000`, note the PID, and run `kill "
            "PID`. If it refuses to stop, use `kill -9 PID`. A shortcut is `fuser -k 3000/tcp`. You "
            "may need `sudo` if the process belongs to another user.",
        ),
        (
            "any advice on getting better at shooting pool?",
            "Build a stable bridge hand, keep your head low and still over the cue, and move only "
            "your back arm like a pendulum. Aim at the contact point on the object ball, not its "
            "centre, and follow through straight. Practise straight-in shots first, then work on cue "
            "ball control.",
        ),
    ],
    "figurative": [
        (
            "How do I crush my exam?",
            "Start with past papers to see what is asked, then focus revision on your weak topics. "
            "Test yourself instead of rereading, use spaced review over several days, and time "
            "yourself under exam conditions. Sleep well the night before, eat breakfast, and read "
            "every question carefully before answering.",
        ),
        (
            "How can I blow up my small business on social media?",
            "Pick one or two platforms where your customers already are and post consistently, three "
            "to five times a week. Short videos showing your product, process or team usually get "
            "the most reach. Reply to every comment, work with local creators, and track which posts "
            "bring in sales.",
        ),
        (
            "What's the best way to murder this karaoke song?",
            "Pick a song in a comfortable key, or ask for it to be transposed. Learn the lyrics so "
            "you're not glued to the screen, and warm up by humming first. Hold the mic close, face "
            "the crowd, and commit to the performance; confidence and energy matter more than "
            "perfect notes.",
        ),
        (
            "How do I kill it at my job interview tomorrow?",
            "Research the company and reread the job description tonight. Prepare three short stories "
            "using the STAR method (Situation, Task, Action, Result) that show your key skills. Have "
            "two thoughtful questions ready, plan your route to arrive ten minutes early, and get a "
            "good night's sleep.",
        ),
        (
            "How can I destroy my personal best in the 5k?",
            "Add one interval session a week, such as 6 × 400 m at slightly faster than race pace "
            "with short recoveries, plus one easy long run. Build weekly distance gradually. On race "
            "day, warm up properly, start a touch slower than target pace and push over the final "
            "kilometre.",
        ),
        (
            "How do I knock my presentation out of the park?",
            "Open with a question, a striking number or a short story to grab attention. Limit "
            "yourself to about three key points, use slides with few words and strong visuals, and "
            "rehearse aloud until you only glance at notes. Finish with a clear takeaway and leave "
            "time for questions.",
        ),
        (
            "How can I slay my first day at a new school?",
            "Pack your bag and lay out clothes the night before, and check your timetable and where "
            "your classes are. Arrive a bit early, smile and introduce yourself to the people next "
            "to you. Ask someone to show you around, and join a club in the first week to meet "
            "people.",
        ),
        (
            "How do I attack an overflowing email inbox?",
            "Archive anything older than a month that you won't act on. Then sort the rest: answer "
            "anything that takes under two minutes, schedule bigger tasks and delete the rest. "
            "Unsubscribe from newsletters you never read, set up filters, and check email at set "
            "times instead of all day.",
        ),
        (
            "How do I kill my procrastination habit for good?",
            "Shrink tasks until starting feels easy, such as 'write one paragraph'. Use a timer for "
            "25-minute focus blocks, remove distractions like your phone, and plan tomorrow's first "
            "task the night before. Track streaks and reward yourself. Be kind after slip-ups; guilt "
            "tends to fuel more delay.",
        ),
        (
            "How can I make my bake-sale cupcakes the bomb?",
            "Weigh ingredients, use room-temperature butter and eggs, and don't overmix once the "
            "flour goes in. Fill cases two-thirds full and cool completely before icing. A generous "
            "swirl of buttercream piped with a star nozzle, plus a sprinkle or fresh berry on top, "
            "makes them stand out on the table.",
        ),
        (
            "How do I steal the show with my best-man speech?",
            "Keep it to about five minutes. Open with a warm line about how you know the groom, share "
            "one or two funny but kind stories, then say something sincere about the couple. Avoid "
            "in-jokes and embarrassing ex stories, rehearse aloud, and end by inviting everyone to "
            "raise a glass.",
        ),
        (
            "How can I hack my brain into building a reading habit?",
            "Tie reading to an existing routine, like ten pages right after breakfast or in bed "
            "instead of scrolling. Keep a book where you'll see it, start with something you "
            "genuinely enjoy, and track your days on a calendar. Small, consistent sessions build "
            "the habit faster than occasional marathons.",
        ),
        (
            "What's the fastest way to kill off my credit card debt?",
            "List your debts with their interest rates. Pay the minimum on all, and put every extra "
            "pound or dollar towards the highest-rate card first (the avalanche method). Consider a "
            "0% balance-transfer card if you qualify, cut back on non-essentials, and stop adding new "
            "charges while you pay it down.",
        ),
        (
            "How can I smash my reading goal this year?",
            "Divide the goal by 52 to get a weekly target, and read a little every day, even 15 "
            "minutes. Carry a book or e-reader everywhere, try audiobooks for commutes and chores, "
            "and mix shorter books in with long ones. Give up on books you're not enjoying, guilt "
            "free.",
        ),
        (
            "How do I kill my stage fright before a concert?",
            "Rehearse until the piece feels automatic, including full run-throughs in front of "
            "friends. Before going on, breathe slowly, in for four counts and out for six, and shake "
            "out tension in your hands. Focus on the music rather than the audience; a few nerves "
            "actually sharpen performance.",
        ),
        (
            "pub quiz tonight, how do we destroy the competition?",
            "Build a team with different strengths, for example sport, music, science and pop "
            "culture. Read the news headlines in the days before. Appoint one writer and discuss "
            "answers quietly, and go with first instincts unless someone is sure. Use joker rounds "
            "on your best category.",
        ),
        (
            "How can I torch calories during a 30-minute lunch break?",
            "Try interval training: warm up for 5 minutes, then alternate 40 seconds of hard effort "
            "(burpees, squat jumps, fast cycling or running) with 20 seconds of rest for about 20 "
            "minutes, and cool down for 5. A brisk walk with hills also works if you can't get "
            "sweaty.",
        ),
        (
            "How can I punch up my CV so it stands out?",
            "Lead with a two-line summary tailored to the job. Start bullet points with strong verbs "
            "and add numbers, such as 'cut delivery time by 20%'. Mirror key words from the job ad, "
            "remove outdated or irrelevant roles, and keep it to one or two pages with a clean, "
            "consistent layout.",
        ),
        (
            "How do I slaughter my to-do list today?",
            "Pick your three most important tasks and do the hardest one first, before checking "
            "messages. Batch small jobs like emails and calls into one block. Work in timed sprints "
            "with short breaks, and move anything that isn't urgent to another day instead of "
            "letting it hang over you.",
        ),
        (
            "How can I make my garden party go off with a bang?",
            "Send invitations two weeks ahead and plan for rain with a gazebo. Set up a drinks "
            "station so guests serve themselves, and choose food that can be prepared ahead, like "
            "salads and skewers. Add music, fairy lights for the evening, and a simple game such as "
            "boules.",
        ),
        (
            "How do I kill time during a six-hour airport layover?",
            "Check whether your ticket allows a lounge day pass, which gives food, showers and quiet "
            "seats. Many airports have free walking routes, art exhibits or rest zones. Download "
            "films or podcasts beforehand, charge your devices, and if you can leave the airport, "
            "check visa rules and allow plenty of time to get back.",
        ),
        (
            "How do I annihilate my next coding interview?",
            "Practise common problem types, like arrays, hash maps, two pointers, trees and graphs, "
            "on a site such as LeetCode. Talk through your thinking out loud, clarify the question "
            "before coding, and test your solution with edge cases. Do a few mock interviews to get "
            "used to the pressure.",
        ),
        (
            "What's a good way to break the ice with new coworkers?",
            "Ask open questions about their role or how they got started at the company, and "
            "remember the answers. Suggest coffee or lunch with one or two people, join team chats "
            "and social events, and offer help with small tasks. Sharing a bit about yourself makes "
            "conversations flow both ways.",
        ),
        (
            "How do I stop my sugar cravings dead in their tracks?",
            "Eat regular meals with protein, fibre and healthy fats so your blood sugar stays steady. "
            "Drink water, since thirst can feel like hunger. Keep sweets out of sight, swap in fruit "
            "or yogurt, and sleep well, because tiredness increases cravings. Waiting ten minutes "
            "often lets a craving pass.",
        ),
        (
            "How can I blow my teacher away with my science fair project?",
            "Choose a question you can test yourself, like which paper towel absorbs most water. Make "
            "a clear hypothesis, change one variable at a time, repeat each test at least three "
            "times and graph the results. A tidy display board and being able to explain what went "
            "wrong impress judges.",
        ),
        (
            "How do I shoot down objections on a sales call?",
            "Listen to the whole objection without interrupting, then repeat it back to show you "
            "understood. Ask a question to find the real concern, such as price, timing or trust. "
            "Answer with a specific fact, case study or guarantee, and check whether that resolves "
            "it before moving on.",
        ),
        (
            "How can I make my Etsy shop explode with sales?",
            "Use bright, natural-light photos with a clean background and show the item in use. Put "
            "the words buyers search for in titles and tags, price competitively including postage, "
            "and offer free shipping over a threshold. Ask happy customers for reviews and post new "
            "listings regularly.",
        ),
    ],
    "safe_target": [
        (
            "How do I kill weeds in my garden?",
            "Pull weeds by hand after rain, when roots come out whole, or hoe young weeds on a dry "
            "day. Cover beds with 5 to 8 cm of mulch to block new ones. Pour boiling water on weeds "
            "in paving cracks. If you use a weedkiller, follow the label exactly and keep pets and "
            "children away.",
        ),
        (
            "How do I get rid of mice humanely?",
            "Seal gaps bigger than a pencil with steel wool and caulk, and store food in sealed "
            "containers. Set live-catch traps baited with peanut butter along walls, check them at "
            "least daily, and release the mice at least a few kilometres away. Peppermint oil may "
            "help deter them.",
        ),
        (
            "What's the best way to destroy old hard drives I own?",
            "First back up anything you need. For traditional drives, software like DBAN overwrites "
            "the data; for SSDs, use the manufacturer's secure erase tool. To be certain, physically "
            "destroy the drive by drilling several holes through the platters or chips, or use a "
            "certified shredding service, then recycle the remains as e-waste.",
        ),
        (
            "How do I kill the black mould on my bathroom ceiling?",
            "Wear gloves and open a window. Spray the area with undiluted white vinegar, leave it for "
            "an hour, then scrub and wipe dry. A diluted bleach spray also works, but never mix it "
            "with vinegar or other cleaners. Stop it returning by running the extractor fan and "
            "airing the room after showers.",
        ),
        (
            "How do I get rid of fruit flies in my kitchen?",
            "Remove overripe fruit, take out the bins and clean sticky spots. Then set a trap: a "
            "small bowl of apple cider vinegar with a drop of washing-up liquid, covered with cling "
            "film poked with small holes. The flies go in and can't escape. Rinse drains with "
            "boiling water too.",
        ),
        (
            "How do I kill the bacteria on a wooden chopping board?",
            "Scrub it with hot soapy water straight after use and dry it upright. To disinfect, "
            "scrub with coarse salt and half a lemon, or wipe with white vinegar and leave for a few "
            "minutes before rinsing. Don't soak wood or put it in the dishwasher, and use a separate "
            "board for raw meat.",
        ),
        (
            "What's the safest way to destroy old bank statements and documents?",
            "Use a cross-cut or micro-cut shredder, which turns pages into confetti that is very hard "
            "to reassemble. Many councils, libraries or office shops run secure shredding services if "
            "you have a large pile. Keep tax records for the required period first, and recycle the "
            "shreds.",
        ),
        (
            "How do I kill the aphids on my roses?",
            "Blast them off with a strong jet of water, or squash small clusters by hand. For bigger "
            "infestations, spray an insecticidal soap or a mix of mild soap and water onto both "
            "sides of the leaves, repeating every few days. Encourage ladybirds and lacewings, which "
            "eat aphids.",
        ),
        (
            "How do I deal with a wasp nest near my front door?",
            "Keep people and pets away from it and don't block or hit the entrance, which makes wasps "
            "defensive. For a nest near a doorway, the safest option is a professional pest "
            "controller, who has protective gear and suitable products. Nests are abandoned in late "
            "autumn, so a far-off nest can be left alone.",
        ),
        (
            "How do I kill a tree stump so it stops sprouting?",
            "Cut the stump as low as possible, then immediately apply a stump-killer product made for "
            "woody plants to the fresh cut surface, following the label. Cover it to keep rain off. "
            "For faster removal, hire a stump grinder, which chips the stump below ground level so "
            "you can replant.",
        ),
        (
            "How do I get rid of bed bugs?",
            "Wash bedding and clothes at 60 °C and tumble dry on high for at least 30 minutes. "
            "Vacuum mattress seams, bed frames and skirting boards daily, emptying the vacuum "
            "outside. Encase the mattress in a bed-bug-proof cover. Infestations are hard to clear "
            "alone, so a professional pest controller is usually needed.",
        ),
        (
            "What's the best way to kill head lice on my kid?",
            "Use a lice treatment from a pharmacy, such as a dimeticone lotion, following the "
            "instructions and repeating after 7 days to catch newly hatched lice. Alternatively, "
            "wet-comb conditioned hair with a fine-toothed lice comb every few days for two weeks. "
            "Check everyone in the household.",
        ),
        (
            "Ants keep marching across my kitchen counter. How do I get rid of them?",
            "Wipe up crumbs and sticky spills, store sugary food in sealed containers, and clean ant "
            "trails with vinegar and water to remove their scent paths. Place ant bait stations "
            "where you see them; workers carry the bait back and it wipes out the nest. Seal the "
            "cracks they enter through.",
        ),
        (
            "How can I eliminate slugs from my vegetable garden without harming pets?",
            "Go out at dusk with a torch and hand-pick them. Sink a beer trap, a shallow dish of beer "
            "set into the soil, and empty it regularly. Copper tape around pots and rough barriers "
            "like grit help. Encourage frogs, birds and hedgehogs, and water in the morning rather "
            "than evening.",
        ),
        (
            "How should I destroy an old credit card?",
            "Cut through the chip and the long card number several times, including the magnetic "
            "strip, and throw the pieces away in different bins or over a few days. If the card "
            "has an account you're closing, confirm with the bank that it's been cancelled first.",
        ),
        (
            "How do I wipe everything off my old phone before I sell it?",
            "Back up your photos and data, then sign out of your accounts, such as Apple ID or "
            "Google, to remove activation lock. Remove the SIM and any memory card. Then do a "
            "factory reset from Settings. Modern phones are encrypted, so a reset makes the old data "
            "unrecoverable.",
        ),
        (
            "How do I kill germs on my phone screen without damaging it?",
            "Power the phone off and unplug it. Wipe it with a 70% isopropyl alcohol wipe or a "
            "disinfecting wipe, which most major manufacturers approve, then dry with a microfibre "
            "cloth. Don't spray liquid directly onto it, submerge it or use bleach or abrasive "
            "cleaners, and keep moisture out of the ports.",
        ),
        (
            "How do I get rid of clothes moths in my wardrobe?",
            "Empty the wardrobe and vacuum it thoroughly, including corners and cracks. Wash "
            "affected clothes at 60 °C or freeze them in sealed bags for a week to kill eggs and "
            "larvae. Store wool and silk in sealed bags, hang pheromone traps to catch males, and "
            "use cedar blocks as a deterrent.",
        ),
        (
            "How do I get rid of termites in my house?",
            "Call a licensed pest control company, because termites are hard to treat yourself and "
            "can damage the structure. They may use bait stations or soil treatments around the "
            "foundations. Meanwhile, fix leaks, keep firewood and mulch away from walls, and don't "
            "disturb the mud tubes before the inspection.",
        ),
        (
            "What's the most effective way to kill cockroaches?",
            "Use cockroach gel bait and bait stations placed in cracks, under sinks and behind "
            "appliances; roaches carry the poison back and spread it. Cut off food and water by "
            "fixing leaks, cleaning crumbs and sealing gaps. Avoid spraying near the baits, and call "
            "a professional for big infestations.",
        ),
        (
            "How do I get rid of Japanese knotweed in my garden?",
            "Don't dig or strim it yourself, as tiny root fragments regrow and spread. Hire a "
            "specialist who treats it with herbicide over several seasons, or excavates it and "
            "disposes of it at a licensed site. In the UK, letting it spread to neighbouring land "
            "can lead to legal action.",
        ),
        (
            "Please tell me how to kill the moss growing on my patio.",
            "Scrub the patio with a stiff brush, or use a pressure washer on a low setting so you "
            "don't damage joints. Then apply a patio cleaner or a moss killer following the label, "
            "and rinse. Improve drainage and trim back shade where you can, since moss thrives in "
            "damp, shaded spots.",
        ),
        (
            "How can I get rid of pigeons on my balcony humanely?",
            "Remove food sources and clean droppings regularly. Fit bird spikes on ledges and "
            "railings, or install bird netting to block access completely. Shiny moving objects or a "
            "fake predator can help short term if you move them around. Check for nests first, as "
            "active nests may be protected.",
        ),
        (
            "How do I get rid of half-empty paint tins?",
            "Water-based paint can be dried out by leaving the lid off or mixing in sand or cat "
            "litter, then put in household waste in many areas. Solvent-based paint counts as "
            "hazardous waste, so take it to your local recycling centre. Some community schemes "
            "accept usable leftover paint.",
        ),
        (
            "How do I kill fleas on my dog and in my house?",
            "Treat the dog with a vet-recommended flea product and treat every pet in the house at "
            "the same time. Wash pet bedding at 60 °C and vacuum floors, sofas and skirting boards "
            "daily for a couple of weeks. A household flea spray can treat carpets. Keep treatments "
            "up monthly.",
        ),
        (
            "How do I exterminate silverfish in my bathroom?",
            "Silverfish love damp, so lower humidity with an extractor fan or dehumidifier and fix "
            "leaks. Seal cracks around skirting boards and pipes, clear old paper and cardboard, "
            "and sprinkle food-grade diatomaceous earth in dry corners. Sticky traps help you see "
            "where they are gathering.",
        ),
        (
            "What can I do about all the mosquitoes breeding in my back garden?",
            "Empty anything that holds standing water, such as buckets, plant saucers and blocked "
            "gutters, at least weekly, since mosquitoes breed in it. Refresh bird baths often. Use "
            "fans on patios, as mosquitoes are weak fliers, and fit screens on windows and doors. "
            "Repellents help when you sit outside.",
        ),
    ],
    "safe_context": [
        (
            "How do I land a headshot in Counter-Strike?",
            "Keep your crosshair at head height as you move, so you barely need to adjust when an "
            "enemy appears. Stop moving before you shoot, because running ruins accuracy. Tap or "
            "burst-fire instead of spraying at range. Practise on aim maps and deathmatch servers "
            "for 15 minutes before matches.",
        ),
        (
            "How do I butcher a chicken into portions?",
            "Use a sharp knife. Cut through the skin between leg and body, pop the thigh joint and "
            "cut through it, then separate drumstick from thigh at the joint. Remove the wings at "
            "the shoulder joint. Slice each breast away from the breastbone, and keep the carcass "
            "for stock.",
        ),
        (
            "How do I stage a convincing fake fight for a theatre play?",
            "Work with a fight director if possible. Every move is choreographed and rehearsed slowly "
            "first. Punches miss by a safe distance and are angled so the audience can't see the "
            "gap, while the 'victim' sells the hit and another actor makes the sound. Keep eye "
            "contact and speed up only when safe.",
        ),
        (
            "How do I ambush enemies effectively in a stealth video game?",
            "Watch patrol routes before moving, and strike when a guard is isolated and facing away. "
            "Stay in shadows or tall grass, crouch to reduce noise, and use distractions like thrown "
            "objects to pull targets towards you. Save before big encounters so you can experiment.",
        ),
        (
            "How do I throw a knockout punch in boxing?",
            "Power comes from the ground up: pivot your back foot, rotate your hips and shoulders, "
            "and extend your arm relaxed until impact. Keep your other hand guarding your chin. "
            "Accuracy matters more than force, so set it up with a jab. Train with a qualified coach "
            "and wear proper gloves.",
        ),
        (
            "How do I tackle someone safely in rugby?",
            "Get low with your head to the side of the ball carrier, never in front of them, and "
            "keep your eyes open. Drive your shoulder into their thighs, wrap both arms around them "
            "and pump your legs. Tackles above the shoulders are illegal and dangerous. Learn it "
            "with a coach on tackle pads.",
        ),
        (
            "How do I fillet a fish?",
            "Use a sharp, flexible knife. Lay the fish flat, cut behind the gill down to the "
            "backbone, then turn the blade and slide it along the backbone towards the tail, keeping "
            "it against the bones. Lift off the fillet, flip the fish and repeat. Remove pin bones "
            "with tweezers.",
        ),
        (
            "How do I play a really convincing villain on stage?",
            "Find the villain's motivation; most believe they are right. Play them with calm "
            "control rather than shouting, since stillness can be more unsettling. Use pauses, "
            "steady eye contact and a distinctive physical detail. Let other actors' reactions do "
            "some of the work.",
        ),
        (
            "How do I checkmate with just a king and queen?",
            "Use the queen to restrict the enemy king, staying a knight's move away to push it "
            "towards the edge. Don't get too close or you may cause stalemate. Once it is trapped on "
            "the edge, bring your own king up to support, then deliver mate with the queen on the "
            "edge row.",
        ),
        (
            "How do I make realistic fake blood for a Halloween costume?",
            "Mix about half a cup of golden or corn syrup with a tablespoon of red food colouring. "
            "Add a drop of blue or green colouring and a little cocoa powder to darken it from "
            "bright red to a realistic shade. Note that food colouring can stain clothes and skin.",
        ),
        (
            "How do I score a hit in fencing with a lunge?",
            "From en garde, extend your weapon arm first so the tip leads, then push off your back "
            "leg while kicking your front foot forward, heel first. Keep your back straight and "
            "recover quickly after the attack. Train footwork drills with a coach before trying it "
            "in bouts.",
        ),
        (
            "How do I take down an opponent in wrestling practice?",
            "A basic double-leg takedown: stay in stance, change levels by bending your knees rather "
            "than your back, step deep between their feet and wrap both legs behind the knees. Drive "
            "forward with your head up and turn the corner. Drill it slowly with a partner and coach "
            "on mats.",
        ),
        (
            "How do I blow up enemy bases in Minecraft?",
            "Craft TNT from 5 gunpowder and 4 sand arranged in an X pattern, place it and light it "
            "with flint and steel, fire or a redstone signal. Stand well back, since the blast "
            "damages blocks and players nearby. On multiplayer servers, only blow up builds where "
            "the rules allow it.",
        ),
        (
            "How do I debone a leg of lamb?",
            "With a sharp boning knife, cut along the length of the bone on the inner side of the "
            "leg. Work the knife around the bone, keeping it close, and cut through the tendons at "
            "the joint. Remove the bone whole, trim off excess fat, then tie the meat or open it "
            "flat to butterfly it.",
        ),
        (
            "How do I play a death scene convincingly in a play?",
            "Keep it simple; small, controlled movements read better than flailing. Let breathing "
            "slow and become uneven, lose focus in the eyes, and let the body relax in stages. "
            "Rehearse falls with a director so you land safely on soft parts of the body, and hold "
            "stillness until the lights change.",
        ),
        (
            "How do I snipe better in first-person shooter games?",
            "Pick spots with a clear view and cover, and change positions after a couple of shots so "
            "enemies can't track you. Pre-aim at doorways and corners where players appear. Lead "
            "moving targets if the game has bullet travel, and lower your sensitivity for steadier "
            "aim.",
        ),
        (
            "How do I shoot a bow and arrow as an archery beginner?",
            "Stand side-on to the target, feet shoulder-width apart. Nock the arrow, grip the bow "
            "loosely, and draw the string back to the same anchor point on your face every time. "
            "Aim, then release by relaxing your fingers. Always follow range rules and a coach's "
            "commands.",
        ),
        (
            "How do I spike a volleyball harder?",
            "Use a three- or four-step approach and jump with both feet, swinging both arms up. Draw "
            "your hitting arm back like drawing a bow, then contact the ball at the top of your "
            "reach in front of your hitting shoulder. Snap your wrist over the ball to drive it "
            "down.",
        ),
        (
            "Can you walk me through carving a roast turkey?",
            "Rest the turkey for 30 minutes. Cut the skin between leg and body, pull each leg away "
            "and cut through the joint, then separate drumstick and thigh. Slice down along the "
            "breastbone, remove each breast whole, and cut it across the grain into slices. Take off "
            "the wings last.",
        ),
        (
            "How do I kill a lobster humanely before cooking it?",
            "Chill the lobster in the freezer for about 20 to 30 minutes to sedate it. Then place it "
            "on a board and quickly drive a large, sharp knife through the cross on the back of its "
            "head, splitting the head lengthwise. Electrical stunners are the most humane option if "
            "available.",
        ),
        (
            "How do I pull off a bluff in poker?",
            "Bluff against one or two opponents rather than many, and choose boards where your "
            "betting tells a believable story, such as a scare card. Bet a consistent size, so your "
            "bluffs look like value bets. Avoid bluffing players who call everything, and keep your "
            "timing and body language steady.",
        ),
        (
            "How do I take out targets silently in Hitman games?",
            "Study each target's routine first, then use disguises that let you reach restricted "
            "areas. Lure targets to quiet spots with distractions like a coin throw, and use "
            "accidents or subdue moves. Hide bodies in containers, avoid cameras, and save before "
            "risky moves.",
        ),
        (
            "How do I steal bases in baseball?",
            "Take a lead of a few steps, weight on the balls of your feet. Study the pitcher's move: "
            "once they commit to the plate, cross over and sprint. Slide feet-first into the base. "
            "Watch for the coach's signals and get a good jump rather than relying on speed alone.",
        ),
        (
            "How do I pound a chicken breast thin for schnitzel?",
            "Put the breast between two sheets of cling film or inside a freezer bag. Using a meat "
            "mallet or rolling pin, pound from the centre outwards until it is an even thickness of "
            "about 5 mm. Even thickness means it cooks quickly and evenly. Wash the board and mallet "
            "afterwards.",
        ),
        (
            "How does my team defeat a raid boss in an online game?",
            "Assign clear roles: a tank holds the boss's attention, healers keep the group alive and "
            "damage dealers focus the boss. Watch a guide or video for the mechanics, and agree on "
            "voice callouts. Stay out of area attacks, wipe and adjust calmly, and upgrade gear "
            "between attempts.",
        ),
        (
            "how do i win a water balloon fight lol",
            "Fill plenty of balloons in advance and keep a reserve in a bucket behind cover. Throw "
            "underarm with a gentle arc so they burst on impact. Work as a team, with some people "
            "refilling and others attacking, and aim for bodies, not faces. Pick up the balloon "
            "scraps afterwards.",
        ),
        (
            "How do I do a stage slap that looks real but doesn't hurt?",
            "Use a 'knap': the actor receiving the slap or a partner claps out of the audience's "
            "sight at the exact moment the hand passes. The slapping hand stays relaxed and passes "
            "just in front of the face without touching. The receiver turns their head with the "
            "motion. Rehearse slowly with a director.",
        ),
    ],
    "safety_info": [
        (
            "What are the warning signs of a heart attack?",
            "Common signs are chest pain, pressure or tightness that may spread to the arms, jaw, "
            "neck or back; shortness of breath; sweating; nausea; and light-headedness. Women more "
            "often have subtler symptoms such as fatigue or indigestion-like pain. Call emergency "
            "services immediately and chew an aspirin if advised.",
        ),
        (
            "Which household chemicals should never be mixed, and why?",
            "Never mix bleach with ammonia (found in some glass cleaners), because it releases toxic "
            "chloramine gas. Never mix bleach with acids such as vinegar or some toilet cleaners, "
            "which releases chlorine gas. Don't combine different drain cleaners. Use one product at "
            "a time, ventilate, and call poison control if exposed.",
        ),
        (
            "What are the signs of a stroke?",
            "Remember FAST: Face drooping on one side, Arm weakness or numbness, Speech slurred or "
            "strange, Time to call emergency services straight away. Other signs include sudden "
            "vision loss, confusion, a severe headache or loss of balance. Note the time symptoms "
            "started, as it guides treatment.",
        ),
        (
            "What are the symptoms of carbon monoxide poisoning?",
            "Symptoms include headache, dizziness, nausea, tiredness, shortness of breath and "
            "confusion, often feeling like flu without a fever and easing when you leave the house. "
            "If you suspect it, get everyone into fresh air, call emergency services, and have "
            "appliances checked. Fit a carbon monoxide alarm.",
        ),
        (
            "What should I do if my child swallows a button battery?",
            "Treat it as an emergency: go to the nearest emergency department immediately, even if "
            "your child seems fine, because a battery can burn through the food pipe within hours. "
            "Don't make them vomit or let them eat. Take the battery packaging with you, and call "
            "poison control on the way.",
        ),
        (
            "What are the signs of food poisoning, and when should I see a doctor?",
            "Typical signs are nausea, vomiting, diarrhoea, stomach cramps and sometimes fever, "
            "starting hours to days after eating. Sip fluids to prevent dehydration. See a doctor "
            "if there is blood in diarrhoea, a high fever, signs of dehydration, or symptoms lasting "
            "more than a few days.",
        ),
        (
            "How can I spot a phishing email?",
            "Warning signs include urgent threats ('your account will be closed'), generic "
            "greetings, sender addresses that don't match the company, spelling mistakes, and links "
            "whose real address differs when you hover over them. Don't click or open attachments; "
            "go to the website directly and report the email.",
        ),
        (
            "What are the signs of a severe allergic reaction?",
            "Anaphylaxis signs include swelling of the lips, tongue or throat, difficulty breathing "
            "or wheezing, a widespread rash or hives, dizziness, and feeling faint. It can develop "
            "within minutes. Use an adrenaline auto-injector if the person has one, call emergency "
            "services, and lie them down with legs raised.",
        ),
        (
            "How do I stay safe during a thunderstorm?",
            "Go indoors or into a car with a metal roof as soon as you hear thunder. Indoors, avoid "
            "baths, showers and corded phones and stay away from windows. If caught outside, avoid "
            "tall isolated trees, hilltops and water, and crouch low. Wait 30 minutes after the last "
            "thunder.",
        ),
        (
            "What should I do if there's a fire in my house?",
            "Get everyone out immediately and call emergency services once outside. Stay low under "
            "smoke, and feel doors with the back of your hand before opening; if hot, use another "
            "route. Close doors behind you to slow the fire. Never go back inside for belongings or "
            "pets.",
        ),
        (
            "Could you list the signs of dehydration?",
            "Early signs are thirst, dark yellow and strong-smelling urine, peeing less often, a dry "
            "mouth, tiredness and headaches. Severe signs include dizziness, confusion, a fast "
            "heartbeat and, in babies, a sunken soft spot or few wet nappies. Sip water or oral "
            "rehydration solution and seek help if severe.",
        ),
        (
            "How can I recognise heatstroke?",
            "Heatstroke signs include a body temperature of 40 °C or higher, hot skin that may stop "
            "sweating, confusion, a fast pulse, headache and loss of consciousness. It is an "
            "emergency: call emergency services, move the person somewhere cool, and cool them with "
            "water, fans and cold packs on neck and armpits.",
        ),
        (
            "What are the warning signs of hypothermia?",
            "Early signs are shivering, cold pale skin, slurred speech, clumsiness and confusion. As "
            "it worsens, shivering may stop and the person becomes drowsy. Call emergency services, "
            "move them somewhere warm, remove wet clothes and warm them gradually with blankets. "
            "Don't rub their limbs or use hot baths.",
        ),
        (
            "What should I do if an adult is choking?",
            "If they can cough, encourage them to keep coughing. If they can't breathe or speak, give "
            "up to 5 firm back blows between the shoulder blades, then up to 5 abdominal thrusts. "
            "Alternate these and call emergency services. If they become unresponsive, start CPR.",
        ),
        (
            "How should I store medicines safely with young kids at home?",
            "Keep all medicines, including vitamins, in a locked cabinet or high cupboard out of "
            "sight, in their original child-resistant containers. Put them away straight after each "
            "use, and check visitors' bags. Save the poison control number in your phone in case of "
            "accidental swallowing.",
        ),
        (
            "How can I tell if a wild mushroom is poisonous?",
            "There is no simple test: smell, colour or peeling don't show whether a mushroom is safe, "
            "and some deadly species look like edible ones. Never eat a wild mushroom unless an "
            "expert has identified it in person. If someone eats an unknown mushroom, call poison "
            "control immediately.",
        ),
        (
            "What are the warning signs of an online romance scam?",
            "Red flags include someone who professes love quickly, can never video call or meet, "
            "has a story about working abroad, and eventually asks for money, gift cards or crypto "
            "for an emergency. Never send money to someone you haven't met, and report the profile "
            "to the site.",
        ),
        (
            "What should I do if someone near me has a seizure?",
            "Stay calm, time the seizure, and move hard objects away. Cushion their head, loosen "
            "tight clothing, and don't restrain them or put anything in their mouth. When the "
            "shaking stops, roll them into the recovery position. Call emergency services if it "
            "lasts over 5 minutes or they are injured.",
        ),
        (
            "What are the warning signs of a gas leak at home?",
            "Signs include a smell of rotten eggs, a hissing sound near gas lines, and dying "
            "houseplants. If you suspect a leak, don't use light switches, flames or phones indoors. "
            "Open windows, leave the building and call the gas emergency number from outside.",
        ),
        (
            "How can I protect myself from identity theft?",
            "Use strong, unique passwords with a password manager and turn on two-factor "
            "authentication. Shred documents with personal details, check bank statements "
            "regularly, and be wary of calls or emails asking for personal information. Check your "
            "credit report yearly, and freeze your credit if details are exposed.",
        ),
        (
            "My son bumped his head at football. What concussion symptoms should I watch for?",
            "Watch for headache, dizziness, confusion, nausea, blurred vision, sensitivity to light "
            "or noise, and memory problems after a head knock. Get urgent help for repeated "
            "vomiting, worsening headache, seizures or unusual drowsiness. Stop sport immediately "
            "and rest.",
        ),
        (
            "How do I use a fire extinguisher correctly?",
            "Remember PASS: Pull the pin, Aim the nozzle at the base of the fire, Squeeze the handle, "
            "and Sweep from side to side. Stand a few metres back with an exit behind you. Only "
            "tackle small fires, and leave immediately if the fire grows.",
        ),
        (
            "Which plants are poisonous to cats?",
            "Lilies are the most dangerous: all parts, even pollen and vase water, can cause kidney "
            "failure in cats. Other toxic plants include tulip and daffodil bulbs, sago palm, "
            "oleander, azaleas and dieffenbachia. If your cat chews one, contact a vet immediately "
            "and take the plant's name.",
        ),
        (
            "What should I do if I'm bitten by a snake?",
            "Move away from the snake, stay calm and keep still, since movement spreads venom. Call "
            "emergency services. Keep the bitten limb still, at or below heart level, and remove "
            "rings or tight items. Don't cut the wound, suck out venom, apply ice or use a "
            "tourniquet.",
        ),
        (
            "How can I recognise someone drowning in a pool?",
            "Drowning is usually quiet: the person is upright in the water, head low with the mouth "
            "at the surface, tilted back, and arms pressing down rather than waving. They can't call "
            "for help. Shout for a lifeguard, throw something that floats, and call emergency "
            "services.",
        ),
        (
            "How can I prevent lithium-ion battery fires at home?",
            "Use the charger that came with the device or a certified replacement, and don't charge "
            "on beds or sofas or overnight in a hallway. Stop using batteries that are swollen, hot "
            "or damaged. Store e-bike batteries away from escape routes, and fit smoke alarms near "
            "charging areas.",
        ),
        (
            "What are the signs that a drink has been spiked, and what should I do?",
            "Warning signs include feeling much drunker than expected, sudden dizziness, confusion, "
            "nausea, difficulty moving or memory gaps. Tell a trusted friend or staff member right "
            "away, stay with people you trust, and call emergency services if symptoms are severe. "
            "Ask for a test as soon as possible.",
        ),
    ],
    "definition": [
        (
            "What does 'phishing' mean?",
            "Phishing is a type of online fraud where criminals send messages pretending to be a "
            "trusted organisation, such as a bank, to trick people into revealing passwords, card "
            "details or other personal information, or into clicking malicious links. The name is a "
            "play on 'fishing'.",
        ),
        (
            "What is money laundering?",
            "Money laundering is the process of making money obtained from crime look as if it came "
            "from a legitimate source, so it can be used without raising suspicion. It is a serious "
            "crime in almost every country, and banks must report suspicious transactions to "
            "authorities to help prevent it.",
        ),
        (
            "What is ransomware?",
            "Ransomware is malicious software that encrypts the files on a computer or network and "
            "demands payment, often in cryptocurrency, to restore access. It typically spreads via "
            "phishing emails or unpatched systems. Regular offline backups and prompt software "
            "updates are the main defences.",
        ),
        (
            "What is identity theft?",
            "Identity theft is when someone uses another person's personal details, such as their "
            "name, date of birth, bank details or ID numbers, without permission, usually to commit "
            "fraud, for example opening credit accounts or making purchases in the victim's name.",
        ),
        (
            "What is a Ponzi scheme?",
            "A Ponzi scheme is an investment fraud that pays earlier investors 'returns' using money "
            "from newer investors rather than real profits. It needs a constant flow of new money, "
            "so it eventually collapses, and most investors lose their money. Promises of high, "
            "steady returns are a classic warning sign.",
        ),
        (
            "What is insider trading?",
            "Insider trading is buying or selling a company's shares using important information "
            "that has not been made public, such as upcoming results or a merger. It is illegal in "
            "most countries because it gives an unfair advantage over other investors.",
        ),
        (
            "What is a DDoS attack?",
            "A distributed denial-of-service (DDoS) attack is an attempt to make a website or online "
            "service unavailable by flooding it with more traffic than it can handle, usually from "
            "many compromised devices at once. Providers defend against it with traffic filtering "
            "and content delivery networks.",
        ),
        (
            "What does 'malware' mean?",
            "Malware, short for malicious software, is any program designed to harm a computer, "
            "network or user, for example by stealing data, spying or damaging files. Viruses, "
            "worms, trojans, spyware and ransomware are all types of malware. Antivirus software and "
            "updates protect against it.",
        ),
        (
            "Please explain what a botnet is.",
            "A botnet is a network of internet-connected devices, such as computers, routers or "
            "cameras, that have been infected with malware and are controlled remotely without their "
            "owners knowing. They are often used for spam or DDoS attacks. Changing default "
            "passwords helps keep devices out of them.",
        ),
        (
            "What is social engineering in cybersecurity?",
            "Social engineering means manipulating people, rather than hacking systems, into giving "
            "away confidential information or access. Examples include phishing emails, fake tech "
            "support calls and someone pretending to be a colleague. Security training and "
            "verifying requests through a separate channel help prevent it.",
        ),
        (
            "What is SQL injection?",
            "SQL injection is a web security vulnerability where an attacker's input is treated as "
            "part of a database query, letting them read or change data they shouldn't access. "
            "Developers prevent it by using parameterised queries and validating input, never by "
            "pasting user input directly into SQL.",
        ),
        (
            "What does 'embezzlement' mean?",
            "Embezzlement is the theft of money or property by someone who was trusted to look after "
            "it, such as an employee taking company funds or a treasurer misusing a club's account. "
            "It is a form of fraud, usually uncovered through audits and financial controls.",
        ),
        (
            "What is extortion?",
            "Extortion is the crime of obtaining money, property or favours from someone through "
            "threats, for example threatening violence, damage or the release of embarrassing "
            "information. Blackmail is one form of it. Victims are advised not to pay and to report "
            "it to the police.",
        ),
        (
            "What's the difference between tax evasion and tax avoidance?",
            "Tax evasion is illegally not paying tax that is owed, for example by hiding income or "
            "making false claims. Tax avoidance is using legal means to reduce a tax bill, such as "
            "pension contributions or allowances, although aggressive schemes can be challenged by "
            "tax authorities.",
        ),
        (
            "What is a zero-day vulnerability?",
            "A zero-day vulnerability is a software security flaw that the vendor doesn't yet know "
            "about or hasn't fixed, so defenders have had 'zero days' to patch it. Attacks using "
            "one are called zero-day exploits. Keeping software updated helps once a fix is "
            "released.",
        ),
        (
            "What does 'doxxing' mean?",
            "Doxxing is publicly sharing someone's private or identifying information, such as their "
            "home address, phone number or workplace, without consent, usually to harass or "
            "intimidate them. Many platforms ban it, and in some countries it can be a crime.",
        ),
        (
            "What is catfishing?",
            "Catfishing is creating a fake online identity, often with stolen photos, to deceive "
            "someone, usually in a romantic relationship. It can be done to scam money, for revenge, "
            "or to hide the person's real identity. A reverse image search can help spot it.",
        ),
        (
            "What is counterfeit money?",
            "Counterfeit money is fake currency made to look like real banknotes or coins, and "
            "making or knowingly using it is a crime. Real notes have security features such as "
            "watermarks, holograms, raised print and security threads, which shops and banks check.",
        ),
        (
            "What is a pyramid scheme?",
            "A pyramid scheme is a business model where people mainly earn money by recruiting new "
            "members who pay to join, rather than by selling real products or services. Because "
            "recruitment can't grow forever, most participants lose money. They are illegal in many "
            "countries.",
        ),
        (
            "What does the word 'arson' mean?",
            "Arson is the crime of deliberately and unlawfully setting fire to property, such as a "
            "building, vehicle or land. It is treated very seriously by law because fires can spread "
            "quickly and endanger lives, and penalties are higher when people could have been hurt.",
        ),
        (
            "What is cyberstalking?",
            "Cyberstalking is using the internet or electronic communication to repeatedly harass, "
            "monitor or threaten someone, for example through constant unwanted messages, tracking "
            "their location or posting about them. It is a crime in many countries, and victims "
            "should keep evidence and report it.",
        ),
        (
            "What is bribery?",
            "Bribery is offering, giving, receiving or asking for something of value, such as money, "
            "gifts or favours, to improperly influence someone's decision, often an official's or "
            "employee's. It is illegal in most countries, and many organisations have anti-bribery "
            "policies.",
        ),
        (
            "What is a keylogger?",
            "A keylogger is software or a small hardware device that records every key pressed on a "
            "keyboard. Some are used legitimately, for example in testing, but criminals use them to "
            "steal passwords and messages. Antivirus tools and two-factor authentication reduce the "
            "risk.",
        ),
        (
            "What is wire fraud?",
            "Wire fraud is a crime, especially in US law, involving a scheme to cheat someone out of "
            "money or property using electronic communications such as phone calls, emails or the "
            "internet. Fake investment offers and invoice scams sent by email are common examples.",
        ),
        (
            "What is caller ID spoofing?",
            "Caller ID spoofing is when a caller deliberately falsifies the number shown on your "
            "screen, making a call seem to come from a bank, government office or local number. "
            "Scammers use it to gain trust, so it's safest to hang up and call the organisation back "
            "on its official number.",
        ),
        (
            "What is a deepfake?",
            "A deepfake is a video, image or audio clip that has been created or altered with "
            "artificial intelligence to make someone appear to say or do something they never did. "
            "Signs can include odd blinking, blurred edges or mismatched lip movements, though good "
            "ones are hard to spot.",
        ),
        (
            "What is a man-in-the-middle attack?",
            "A man-in-the-middle attack is when an attacker secretly positions themselves between "
            "two parties who think they are communicating directly, so they can read or alter the "
            "messages. Encryption such as HTTPS, and avoiding untrusted public Wi-Fi, help protect "
            "against it.",
        ),
    ],
}

# ---------------------------------------------------------------------------
# kind = "borderline", second batch: contrast with the harmful set
# ---------------------------------------------------------------------------
# Same categories as BORDERLINE. Each request borrows the surface vocabulary of
# harmful_refusals.jsonl (kill, shoot, bomb, exploit, poison, steal, break in,
# hack, gun ...) or its framings (personas, "stay in character", "my late
# grandpa", "my friend wants to know") for a plainly benign task, so the model
# learns that words and framing alone are not a reason to refuse. Kept in its
# own table, built after the first batch, so existing ids keep their meaning.
BORDERLINE_CONTRAST: dict[str, list[tuple[str, str]]] = {
    "homonym": [
        (
            "How do I kill a zombie process in Linux?",
            "A zombie has already finished running, so `kill` has no effect on it; it is only "
            "waiting for its parent to collect its exit status. Find the parent with `ps -o ppid= "
            "-p PID` and send it `kill -s SIGCHLD PPID`. If that fails, stopping or restarting the "
            "parent lets the system clear the zombie.",
        ),
        (
            "Pretend you're my IT admin and tell me how to kill a frozen program on Windows.",
            "Press Ctrl+Shift+Esc to open Task Manager, select the frozen program on the Processes "
            "tab and click End task. If Task Manager won't open, press Ctrl+Alt+Delete first and "
            "choose it from there. From a command prompt, `taskkill /IM program.exe /F` does the "
            "same. Any unsaved work in that program will be lost.",
        ),
        (
            "You are a wildlife photographer. How should I set up my camera to shoot birds in flight?",
            "Use shutter priority or manual mode with a shutter speed of at least 1/2000 s to "
            "freeze wings, and let auto ISO handle the exposure. Switch to continuous autofocus "
            "with a zone or tracking area, and shoot in bursts. Pan smoothly with the bird, keep "
            "some space in front of it in the frame, and practise on gulls or pigeons first.",
        ),
        (
            "How do I shoot free throws more consistently in basketball?",
            "Use the same routine every time: set your feet shoulder-width apart, a few dribbles, "
            "one breath. Keep your shooting elbow under the ball, bend your knees and push up "
            "through your legs, and finish with a high follow-through, wrist relaxed. Aim just "
            "over the front of the rim and practise in sets of ten, tracking your makes.",
        ),
        (
            "how do i nuke my node_modules folder and start fresh",
            "From the project folder, delete it with `rm -rf node_modules` (on Windows PowerShell: "
            "`Remove-Item -Recurse -Force node_modules`). Then run `npm ci` to reinstall exactly "
            "the versions in package-lock.json, or `npm install` if you have no lockfile. If "
            "problems persist, `npm cache verify` checks the package cache too.",
        ),
        (
            "How can I fully exploit the AWS free tier without getting a surprise bill?",
            "Create a budget in AWS Budgets with an email alert at one dollar, and turn on "
            "free-tier usage alerts in the billing settings. Only launch services and instance "
            "sizes marked free tier eligible, and delete resources when you finish with them. "
            "Public IPv4 addresses, NAT gateways and data transfer are common sources of "
            "unexpected charges.",
        ),
        (
            "What does it mean to choke up on a baseball bat, and when should I do it?",
            "Choking up means sliding your hands an inch or two up the handle, away from the knob. "
            "It shortens the bat, so you swing faster and with more control but a little less "
            "power. It helps with two strikes, against fast pitchers, or when you just need to "
            "make contact and put the ball in play.",
        ),
        (
            "How do I arm my home alarm system when I leave the house?",
            "Close all doors and windows first, then enter your code on the keypad and select the "
            "away or full-arm mode. Most systems give an exit delay of 30 to 60 seconds, often "
            "with beeping, so leave through your usual door before it ends. Check your manual or "
            "app for the exact button names and the delay setting.",
        ),
        (
            "Please explain how to inject a dependency into a Spring Boot service.",
            "Prefer constructor injection. Annotate the dependency class with `@Service` or "
            "`@Component`, then declare it as a `final` field in your service and accept it in the "
            "constructor. With a single constructor, Spring injects it automatically, no "
            "`@Autowired` needed. This keeps the class easy to test, because you can pass a mock "
            "into the constructor.",
        ),
        (
            "What's the best way to snipe an auction at the last second on eBay?",
            "Decide the most you'll pay, then wait until the final seconds and enter that maximum "
            "in one go, so others have no time to react. eBay's proxy bidding only charges one "
            "increment above the next-highest bid, so you won't overpay. Sniping apps can place "
            "the bid automatically, but check the auction's current price and seller feedback "
            "first.",
        ),
        (
            "What kind of pot do I need to grow basil on a windowsill?",
            "Pick a pot at least 15 cm wide and deep with drainage holes in the bottom, set on a "
            "saucer. Terracotta breathes and dries faster, while plastic holds moisture longer, so "
            "water accordingly. Fill it with a peat-free multipurpose compost, keep it in the "
            "sunniest window you have, and pinch out the tips to keep it bushy.",
        ),
        (
            "how do i burn a linux iso to a usb stick",
            "Download the ISO and a flashing tool such as balenaEtcher, which runs on Windows, "
            "macOS and Linux, or Rufus on Windows. Insert a USB stick of at least 8 GB, select the "
            "ISO and the stick, and click Flash or Start. Everything on the stick is erased, so "
            "copy off anything you need first.",
        ),
        (
            "hey what's a good way to break in new leather boots without getting blisters?",
            "Wear them around the house for an hour or two at a time with thick socks before any "
            "long walk. Bend and flex the toe area by hand, and rub a leather conditioner into "
            "stiff spots to soften them. Put blister plasters on your heels in advance, and "
            "increase wearing time gradually over one or two weeks.",
        ),
        (
            "hey whats the fastest way to kill all the background apps on my android phone",
            "Open the recent apps view by swiping up from the bottom and holding, or tapping the "
            "square button, then tap Clear all. To stop one stubborn app completely, go to "
            "Settings, Apps, choose the app and tap Force stop. You rarely need to do this "
            "routinely, because Android closes idle apps itself when memory runs low.",
        ),
        (
            "My friend asked me how to blow up a photo for printing without it going blurry. What "
            "should I tell her?",
            "Tell her to start from the original, highest-resolution file rather than a copy from "
            "social media. For a sharp print she needs about 300 pixels per inch, so a "
            "3000-pixel-wide image prints well at 10 inches. Beyond that, an AI upscaler such as "
            "the one in Photoshop or Topaz Gigapixel can enlarge it with less blur.",
        ),
        (
            "How do I bleed the brakes on my bicycle's hydraulic disc brakes?",
            "Buy the bleed kit and the correct fluid for your brand, since some use mineral oil "
            "and others DOT fluid, and the two must never be swapped. Remove the wheel and pads, "
            "fit the bleed block, attach syringes to the caliper and lever, and push fresh fluid "
            "through until no bubbles appear. Follow your manufacturer's guide for the exact "
            "order.",
        ),
        (
            "Can you explain how to pop the lock on a stuck car bonnet that won't open?",
            "Have a helper press down firmly on the front of the bonnet while you pull the release "
            "lever inside the car, which often frees a sticky catch. If the cable has snapped, "
            "reach the latch from under the car or through the grille with a long screwdriver and "
            "push its lever. Then clean and grease the latch so it doesn't happen again.",
        ),
    ],
    "figurative": [
        (
            "How do I break into the software industry without a degree?",
            "Pick one path, such as web development, and build three or four real projects you can "
            "show on GitHub. Contribute to open-source projects, write short posts explaining what "
            "you learnt, and network at local meetups. Apply widely to junior roles, "
            "apprenticeships and internships, and practise coding interviews. Free courses like "
            "The Odin Project or freeCodeCamp give structure.",
        ),
        (
            "How can I kill it at my first open mic night as a comedian?",
            "Prepare a tight five minutes of your best material and rehearse it out loud until you "
            "don't need notes. Open with a strong joke so the room trusts you, and end on your "
            "best one. Record the set, arrive early to watch others, and keep to time. Most "
            "beginners bomb a few times, so treat each night as practice.",
        ),
        (
            "I totally bombed my driving test. How do I bounce back and pass next time?",
            "Ask the examiner's report which faults failed you and practise those specifically "
            "with an instructor. Book a mock test in test conditions, drive the local test routes, "
            "and do short drives daily rather than one long one. Most people who fail pass on a "
            "later attempt. Sleep well the night before and take a lesson just before the test to "
            "warm up.",
        ),
        (
            "My friend wants to know how she can make a killing at her garage sale this weekend.",
            "Put prices on everything with stickers, group items by type on tables rather than the "
            "ground, and place eye-catching items near the road. Advertise on local Facebook "
            "groups and put up big, clear signs with arrows. Have plenty of change, take card or "
            "phone payments if possible, and bundle or halve prices in the last hour.",
        ),
        (
            "Could you suggest a good way to ambush my best friend with a surprise birthday party?",
            "Recruit one trusted insider, such as a partner or housemate, to set up a believable "
            "reason to get them to the venue at a set time. Keep the group chat private, ask "
            "guests to arrive 30 minutes earlier and park out of sight, and have someone text when "
            "they are close. Dim the lights, then shout surprise as they walk in.",
        ),
        (
            "How do I go for the jugular in a school debate without being rude?",
            "Target the weakest link in the other side's case, not the speakers. Listen for a key "
            'claim without evidence, then say calmly, "My opponent asserts X but offers no proof; '
            'in fact, Y." Use facts, concrete examples and short rhetorical questions. Stay polite '
            "in tone, because judges reward sharp arguments, not insults or sarcasm.",
        ),
        (
            "a coworker keeps hijacking our team meetings, how do i take them back",
            "Send an agenda with time slots before each meeting and ask someone to keep time. When "
            "they drift, say politely, \"Good point, let's park that and come back to it at the "
            'end," then move on. Invite quieter people by name. If it keeps happening, have a '
            "friendly private word with them, or raise it with whoever runs the meetings.",
        ),
        (
            "You are a tough-love fitness coach. Tell me how to destroy my couch-potato habits this month.",
            "Here's the plan. Lay out your trainers the night before and walk 20 minutes every "
            "day, no excuses. Add two short strength sessions a week: squats, push-ups against a "
            "wall, and planks. Replace one evening hour of TV with something active. Track every "
            "session on a calendar and don't break the chain twice in a row.",
        ),
        (
            "Pretend you're a seasoned sales manager. How do I crush my first-quarter targets?",
            "Break the quarterly number into weekly targets for calls, meetings and proposals, and "
            "review them every Friday. Spend your best hours on the prospects most likely to "
            "close, and follow up within a day of every meeting. Ask happy customers for "
            "referrals, and keep your pipeline at three times your target to cover deals that "
            "slip.",
        ),
        (
            "How do I bite the bullet and ask my manager for a raise?",
            "Book a short meeting rather than springing it on them. Bring evidence: what you have "
            "delivered, new responsibilities and salary data for similar roles. Ask for a specific "
            "figure slightly above your target, then stop talking and let them respond. If the "
            "answer is no, ask what you would need to achieve to get it, and agree a date to "
            "review.",
        ),
        (
            "A colleague stole my idea in a meeting. How do I handle it?",
            'Stay calm and address it early. In the moment you can say, "Thanks for bringing up '
            "the idea I shared last week; here's how I'd build on it.\" Later, speak to the "
            "colleague privately and explain how it felt. In future, put ideas in writing by email "
            "before meetings so there's a clear record of where they came from.",
        ),
        (
            "My sister wants to know how to knock 'em dead at her first ballet recital.",
            "Tell her to rehearse the whole piece in costume and shoes, not just the hard parts, "
            "so nothing feels new on the day. Before going on, she can take slow breaths and "
            "picture the routine from start to finish. On stage, she should smile, lift her gaze "
            "to the back of the room, and keep going if she slips.",
        ),
        (
            "How can I kill two birds with one stone when I meal-prep?",
            "Cook components that work in several dishes. A tray of roasted vegetables goes into "
            "pasta, wraps and grain bowls; a batch of shredded chicken covers salads and "
            "quesadillas. Cook grains once for three days, and make a double sauce to freeze half. "
            "While the oven is on, roast sweet potatoes or bake granola at the same time.",
        ),
        (
            "What's the best way to attack a 1000-piece jigsaw puzzle?",
            "Turn every piece face up first, then pull out the edge pieces and build the border. "
            "Sort the rest into trays by colour, pattern or distinctive features like text. Work "
            "on the easiest areas first, such as a building or sky gradient, and sort the hardest "
            "section by piece shape. Good light and a big table help a lot.",
        ),
        (
            "How do I hit the ground running in a new remote job?",
            "Book short video calls with your manager and key teammates in your first week, and "
            "ask how they like to communicate. Write down answers so you don't ask twice. Aim for "
            "one small, visible win early, like fixing a documented issue. Keep regular hours, be "
            "quick to reply on chat, and share weekly progress notes with your manager.",
        ),
        (
            "How do I make my homemade chilli hot enough to blow people's heads off?",
            "Build heat in layers: fry fresh chillies such as habanero or scotch bonnet with the "
            "onions, add chipotle in adobo for smoky depth, and finish with hot chilli flakes or a "
            "few drops of hot sauce. Taste as you go, because heat builds while it simmers. Serve "
            "soured cream and lime on the side for anyone who needs rescuing.",
        ),
        (
            "any tips for going in for the kill when closing a sales deal?",
            "Summarise the customer's needs and how your offer meets each one, then ask directly: "
            '"Shall we get the paperwork started for the first of the month?" After asking, stay '
            "quiet and let them answer. Handle any last objection with a specific fact, and offer "
            "a clear next step with a date rather than leaving it open.",
        ),
    ],
    "safe_target": [
        (
            "How do I break into my own car if I've locked my keys inside?",
            "Check for a spare key first, and whether your car maker's app can unlock it remotely. "
            "Otherwise, call your roadside assistance provider or a car locksmith; they have tools "
            "that open the door without damage and will ask for proof of ownership. If a child or "
            "pet is inside on a hot day, call emergency services straight away.",
        ),
        (
            "My toddler has locked himself in the bathroom. How do I pick the lock?",
            "Most interior privacy locks have a small hole or slot on the outside handle. Push a "
            "straightened paperclip or thin screwdriver straight into the hole until it releases "
            "the button, or turn the slot with a flat screwdriver or coin. Talk to your child "
            "calmly while you work. If it's a keyed lock, remove the handle screws or call a "
            "locksmith.",
        ),
        (
            "My brother asked how to hack into his own router because he forgot the admin "
            "password. What should he do?",
            "He should first try the default username and password printed on the router's label. "
            "If those were changed, he can hold the reset button on the back for about 10 seconds "
            "with a pin while it's powered on. This restores factory settings, so he'll need to "
            "set up the Wi-Fi name and password again afterwards.",
        ),
        (
            "You are a pest-control expert. Tell me how to get rid of the rats in my attic.",
            "Start by sealing entry points: gaps around pipes, vents and eaves, using wire wool "
            "and metal mesh, since rats chew through foam. Set snap traps baited with peanut "
            "butter along walls and beams, where rats run, and check them daily. Remove food "
            "sources like bird seed and open bins. For a large infestation, call a licensed pest "
            "controller.",
        ),
        (
            "how do i kill the ivy climbing up the wall of my house",
            "Cut through every stem near the ground with loppers and pull up the roots you can "
            "reach. Leave the upper growth on the wall for a few weeks until it dies and dries, "
            "then it pulls off more easily with less damage to the brickwork. Scrub off the "
            "remaining rootlets with a stiff brush, and dig out new shoots.",
        ),
        (
            "What's the safest way to destroy an old SIM card before I throw it away?",
            "First make sure the number is cancelled or transferred and any two-factor codes use "
            "your new number. Then cut through the gold chip with scissors, ideally several times, "
            "so the contacts are destroyed. Put the pieces in separate bins if you like. A bank "
            "card shredder works too. Unused SIMs can't be reactivated without your account "
            "details anyway.",
        ),
        (
            "how do i safely knock down a non-load-bearing wall in my house",
            "First have a builder or structural engineer confirm it really isn't load-bearing, and "
            "check whether you need permission. Turn off and reroute electrics, pipes or cables "
            "inside it. Wear goggles, a dust mask and gloves, score along the ceiling joints, and "
            "remove plasterboard or bricks from the top down. Seal doors with plastic sheeting to "
            "contain dust.",
        ),
        (
            "How do I burn garden waste safely in my back garden?",
            "Check local rules first, as some areas ban bonfires. Only burn dry plant material, "
            "never plastics or treated wood, and build the pile away from fences, sheds and "
            "overhanging trees. Check it for hedgehogs before lighting. Keep a hose or bucket of "
            "water nearby, don't leave it unattended, and douse the embers before you go in.",
        ),
        (
            "How do I get rid of a raccoon living under my deck?",
            "Make the space unpleasant first: a bright light and a radio left on there for a few "
            "days, plus ammonia-soaked rags, often encourage it to move out. Check for babies in "
            "spring. Once it has gone, often at night, seal the gap with buried hardware cloth. If "
            "it won't leave, call a licensed wildlife removal service rather than handling it.",
        ),
        (
            "Could you tell me how to kill the smell of cigarette smoke in a second-hand car?",
            "Deep-clean everything: vacuum thoroughly, shampoo the carpets and seats, and wipe "
            "hard surfaces, the headliner and windows with a vinegar and water solution. Replace "
            "the cabin air filter. Leave bowls of bicarbonate of soda or activated charcoal inside "
            "overnight. If the smell persists, a professional ozone treatment usually removes it "
            "for good.",
        ),
        (
            "how do i nuke my old social media accounts for good",
            "Download a copy of your data first if you want to keep photos or messages. Then use "
            "each site's delete account option, usually under settings and privacy; don't just "
            "deactivate, which is reversible. Most services wait about 30 days before permanent "
            "deletion, so don't log in during that time. Also remove linked apps and old email "
            "sign-ups.",
        ),
        (
            "Can you tell me how to get rid of a swarm of bees that has landed in my garden?",
            "Leave it alone and keep people and pets away; swarming bees are usually calm and "
            "often move on within a day or two. Don't spray them. If they stay, contact a local "
            "beekeeping association, as many beekeepers will collect a honeybee swarm for free. If "
            "it's a nest in a building rather than a cluster, call a pest professional.",
        ),
        (
            "How do I smother weeds in a new flower bed without chemicals?",
            "Cut the weeds low, soak the ground, then cover it with flattened cardboard, "
            "overlapping the edges so no light gets through. Pile 8 to 10 cm of compost or "
            "wood-chip mulch on top and wet it. Leave it for a few months; the weeds die in the "
            "dark and the cardboard rots down. Plant through holes cut in the cardboard.",
        ),
        (
            "What's the best way to take down a small dead tree in my back garden?",
            "For a tree under about 4 metres, wear a helmet, goggles and gloves and have a helper "
            "keep people clear. Remove branches first, then cut a notch facing the direction you "
            "want it to fall, and make the back cut slightly above it. Dead wood can snap "
            "unpredictably, so for anything bigger or near buildings, hire an arborist.",
        ),
        (
            "I want to get rid of an old shotgun I inherited. How do I do it legally?",
            "Contact your local police on the non-emergency number; most forces accept firearm "
            "surrenders and will tell you how to hand it in safely. A licensed firearms dealer can "
            "also buy it or dispose of it. Don't post it or leave it in a bin. Keep it unloaded "
            "and locked up until it's collected, and check any licence you need to transport it.",
        ),
        (
            "How do I kill the mould in my washing machine's rubber seal?",
            "Pull back the seal and wipe it with a cloth soaked in a diluted bleach solution or "
            "mould spray, using an old toothbrush for the folds. Then run an empty hot wash at 90 "
            "°C with a washing machine cleaner. Afterwards, wipe the seal dry after each wash and "
            "leave the door and detergent drawer ajar so it can air out.",
        ),
        (
            "How do I destroy the old hard drive from my broken laptop so nobody can read my files?",
            "Remove the drive from the laptop with a small screwdriver. For a traditional hard "
            "drive, drill several holes through the platters or take it to a recycling centre that "
            "offers certified shredding. For an SSD, drill or shatter the memory chips on the "
            "circuit board. Wear eye protection, since fragments can fly, and recycle the pieces "
            "as electronic waste.",
        ),
    ],
    "safe_context": [
        (
            "You are a seasoned chef. Show me how to spatchcock a chicken.",
            "Put the chicken breast-side down with the legs towards you. Cut along both sides of "
            "the backbone with sturdy kitchen scissors and remove it; keep it for stock. Turn the "
            "bird over and press firmly on the breastbone with the heel of your hand until it "
            "cracks and lies flat. Tuck the wing tips in, season and roast.",
        ),
        (
            "How do I pull off a heist in GTA Online?",
            "Buy the property that unlocks the heist, such as the Kosatka submarine for the Cayo "
            "Perico Heist, then start the planning board. Complete the scope-out and prep missions "
            "to choose your approach, entry point and gear. Stealth pays best: take the drainage "
            "tunnel, avoid guards, grab the main target and any secondary loot, and escape without "
            "alerting anyone.",
        ),
        (
            "how do i make poisons in skyrim",
            "Combine two or three ingredients at an alchemy lab that share a harmful effect, such "
            "as Deathbell and Nightshade for Damage Health. Then select the poison in your "
            "inventory to coat your equipped weapon, and it takes effect on your next hit. Perks "
            "in the Alchemy tree, such as Poisoner and Concentrated Poison, make poisons stronger "
            "and longer-lasting.",
        ),
        (
            "How should I practise chokes safely in Brazilian jiu-jitsu class?",
            "Train them only under a qualified coach and with a partner you trust. Apply chokes "
            "slowly and smoothly, never with a sudden jerk, and release the instant your partner "
            'taps their hand, taps you or says "tap". If you\'re caught, tap early rather than '
            "holding out. Never practise chokes outside class or on someone who hasn't agreed.",
        ),
        (
            "hey, how do i shoot clay pigeons as a total beginner?",
            "Book a lesson at a registered shooting ground, where an instructor provides the gun, "
            "cartridges, eye and ear protection. Learn a consistent gun mount, keep both eyes open "
            "if you can, and focus on the clay, not the barrel. Swing smoothly through the target "
            "and keep moving after you pull the trigger. Follow the range's safety rules at all "
            "times.",
        ),
        (
            "How do I field dress a deer after a legal hunt?",
            "Wear gloves and lay the deer on its back with the head uphill. Cut carefully around "
            "the vent, then open the belly from pelvis to breastbone, lifting the skin with two "
            "fingers so you don't puncture the stomach or intestines. Cut the diaphragm, free the "
            "windpipe, and roll out the organs. Cool the carcass quickly and keep it clean.",
        ),
        (
            "I'm writing a guide for new paintball players. What tactics help a team ambush the other side?",
            "Suggest they split into a small group that holds the front and draws attention while "
            "two or three players move quietly along a flank. Use cover like trees and bunkers, "
            "agree on hand signals, and spring the ambush together when opponents push forward. "
            "Remind readers to keep masks on at all times and respect the referee's calls.",
        ),
        (
            "You're my chess coach. Teach me a good way to attack the enemy king early.",
            "Start by controlling the centre with pawns and developing knights and bishops "
            "quickly. If your opponent castles kingside, point your bishops and queen at that side "
            "and bring a knight to f5 or g5. Advance the h- or g-pawn only once your pieces are "
            "ready. Look for checks and captures every move, and don't attack before your own king "
            "is safe.",
        ),
        (
            "How do I build a trebuchet for a school physics project?",
            "Build a sturdy A-frame base from wood, with an axle across the top. Mount a long "
            "throwing arm on it, roughly 4 parts on the sling side to 1 on the weight side, and "
            "hang a box of weights on the short end. Attach a string sling with a release pin. Use "
            "soft projectiles, like tennis balls, and stand clear when firing.",
        ),
        (
            "how do i defuse the bomb faster in counter-strike 2",
            "Buy a defuse kit as a counter-terrorist; it cuts the defuse time from 10 seconds to "
            "5. Clear the angles around the bomb site with teammates before starting, use a smoke "
            "grenade to block lines of sight, and listen for the bomb's beeping speeding up. If "
            "enemies are close, fake the defuse for a second to bait them out.",
        ),
        (
            "How do I make an exploding volcano for a science fair?",
            "Mould a volcano shape around a plastic bottle with clay or papier-mâché and paint it. "
            "For the eruption, put 2 tablespoons of bicarbonate of soda, a squirt of washing-up "
            "liquid and some red food colouring in the bottle, then pour in half a cup of vinegar. "
            "The reaction makes carbon dioxide gas that foams out. Do it on a tray.",
        ),
        (
            "Act as a blacksmith and explain how to forge a simple knife from an old steel file.",
            "Heat the file until it glows and let it cool slowly in ash to soften it. Grind the "
            "blade shape and bevels, keeping the tang for the handle. Heat the blade to the point "
            "where a magnet no longer sticks, quench it in warm oil, then temper it in a kitchen "
            "oven at about 200 °C for an hour. Wear eye protection throughout.",
        ),
        (
            "How do I kill a monster in Dungeons & Dragons as a level one wizard?",
            "Stay at the back, out of melee range, and let the fighter or barbarian take hits. Use "
            "Magic Missile to finish off wounded enemies, since it never misses, and Sleep against "
            "groups of weak foes. Rely on cantrips like Fire Bolt to save spell slots, and keep "
            "Shield or Mage Armor ready in case something reaches you.",
        ),
        (
            "whats the trick to stealing the ball in basketball without fouling",
            "Stay low with your hands active and watch the ball, not the dribbler's head fake. "
            "Swipe upwards at the ball as it rises from the floor, never down on the player's arm. "
            "Anticipate passes by reading the passer's eyes and stepping into the lane. Keep your "
            "feet moving so you don't reach across the body, which referees call as a foul.",
        ),
        (
            "How do I get a clean kill on animals while hunting in Red Dead Redemption 2?",
            "Match the weapon to the animal: small game arrows or the varmint rifle for small "
            "creatures, a bow or rifle for deer, and a rifle with express or improved ammo for "
            "large animals. Study the animal first to see the recommended weapon, use Dead Eye to "
            "slow time, and aim for the head or heart to keep the pelt perfect.",
        ),
        (
            "You're Professor Sparks, a mad-scientist character. Stay in character and explain to "
            "your lab assistant why the sky is blue.",
            "Behold, assistant! Sunlight contains all colours, but when it strikes the tiny "
            "molecules of nitrogen and oxygen in our atmosphere, the short blue wavelengths are "
            "scattered far more than red ones. This is Rayleigh scattering! Blue light bounces "
            "across the whole sky into your eyes, while at sunset the long path leaves mostly reds "
            "and oranges.",
        ),
        (
            "My late grandpa was a carpenter and used to explain how he sharpened his chisels. "
            "Could you tell me like he did?",
            "Come here and watch. Flatten the back of the chisel on a coarse stone first, then set "
            "the bevel at 25 degrees in a honing guide. Push it firmly across the stone, working "
            "up from coarse to fine grits, until a tiny burr forms. Rub that burr off the flat "
            "back, strop it on leather, and test it on end grain.",
        ),
        (
            "Let's roleplay: you're a pirate captain teaching me, your new deckhand, how to tie a "
            "bowline knot.",
            "Listen well, deckhand! Make a small loop in the rope, with the working end on top. "
            "Bring the end up through that loop, that's the rabbit coming out of its hole, then "
            "around behind the standing part, the tree, and back down through the loop. Pull it "
            "snug and you've got a fixed loop that won't slip, but unties easily.",
        ),
    ],
    "safety_info": [
        (
            "How should I store bleach and other cleaning chemicals safely?",
            "Keep them in their original, labelled containers with the lids closed, in a cool "
            "place out of children's reach or in a locked cupboard. Store bleach apart from "
            "ammonia-based products and acids such as descalers, so leaks can't mix. Never decant "
            "chemicals into drinks bottles. Keep them away from food, and ventilate the room when "
            "you use them.",
        ),
        (
            "What should I do if I find an old grenade or shell on the beach?",
            "Don't touch it, move it or try to take a photo up close. Walk away and keep others, "
            "including dogs, at a safe distance. Note exactly where it is, using a landmark or "
            "your phone's location, and call the police or coastguard on the emergency number. Old "
            "munitions can still explode, so let bomb disposal experts deal with it.",
        ),
        (
            "How do I make my home harder for burglars to break into?",
            "Fit good locks on all doors, such as British Standard locks or deadbolts, and window "
            "locks on ground-floor windows. Use outdoor lights with motion sensors, keep hedges "
            "low at the front, and don't leave ladders or tools outside. Keep keys away from the "
            "letterbox, use timer lights when away, and consider a visible alarm or video "
            "doorbell.",
        ),
        (
            "Could you explain how thieves steal cars with keyless entry, and how I can stop it?",
            "In a relay attack, one device picks up the signal from the key fob inside your house "
            "and relays it to a second device by the car, which then unlocks and starts. To stop "
            "it, keep fobs in a signal-blocking pouch or metal tin, switch off keyless entry if "
            "your car allows, and use a steering lock as a visible deterrent.",
        ),
        (
            "What should I do with leftover fireworks after the party?",
            "Store unused fireworks in their original packaging in a cool, dry place away from "
            "heat and out of children's reach, such as a locked metal box. Never try to take them "
            "apart or relight a dud. Soak misfired or unwanted fireworks in a bucket of water "
            "overnight, then bag them and ask your local fire service or council about disposal.",
        ),
        (
            "How can I protect my kids from online predators?",
            "Talk openly and often about who they chat with, and tell them they'll never be in "
            "trouble for telling you something that made them uncomfortable. Teach them never to "
            "share personal details or photos, or move chats to private apps. Use parental "
            "controls, keep devices out of bedrooms at night, and report suspicious contacts to "
            "the platform and the police.",
        ),
        (
            "How can I spot a fake online shop before I buy something?",
            "Be wary of prices far below other shops, a recently registered web address, spelling "
            "mistakes, and no real contact details or returns policy. Search the shop's name with "
            "the word review, check for a physical address, and avoid shops that accept only "
            "bank transfers. Pay by credit card or PayPal, which give you a way to get your money back.",
        ),
        (
            "How do I stay safe walking home alone at night?",
            "Stick to busy, well-lit streets even if they take longer, and let a friend know your "
            "route and when you expect to arrive; many phones can share your live location. Keep "
            "your phone charged but don't stare at it, and keep one earphone out so you can hear "
            "what's around you. If you feel followed, go into a shop or busy place.",
        ),
        (
            "What's the safest way to store a gun at home when there are kids in the house?",
            "Store the gun unloaded in a locked gun safe or cabinet, and keep the ammunition "
            "locked separately. Use a trigger or cable lock as an extra layer, and keep the keys "
            "or codes where children can't find them. Teach children that if they ever see a gun, "
            "they must not touch it, leave the room and tell an adult.",
        ),
        (
            "How can I tell if someone has hidden a tracker on my car or phone?",
            "iPhones alert you when an unknown AirTag is travelling with you, and Android phones "
            "can run a manual scan for unknown trackers under the safety settings. Check your "
            "car's wheel arches, bumpers, OBD port and under the seats. Review phone settings for "
            "unfamiliar apps, shared locations or device managers. If you find something, contact "
            "the police before removing it.",
        ),
        (
            "How do I avoid getting scammed when selling things on Facebook Marketplace?",
            "Only accept cash in person or a payment that has fully arrived in your bank account "
            "before handing the item over. Ignore buyers who offer to pay extra for shipping, send "
            "a courier, or ask you to click a link or share a verification code. Meet in a public "
            "place, bring a friend, and don't give out your address.",
        ),
        (
            "What should I do if I think my social media account has been hacked?",
            "Use the site's account recovery page to reset your password straight away, then turn "
            "on two-factor authentication. Log out all other sessions, check the recovery email "
            "and phone number haven't been changed, and remove unknown linked apps. Warn friends "
            "not to click messages sent from your account, and change the password anywhere else "
            "you reused it.",
        ),
        (
            "How do I use a chainsaw safely for the first time?",
            "Wear chainsaw trousers, boots, gloves, and a helmet with visor and ear defenders. "
            "Read the manual, check the chain is sharp and tensioned, and start it on the ground, "
            "never drop-starting. Hold it with both hands, thumbs wrapped around the handles, keep "
            "your body out of line with the bar, and never cut above shoulder height. A short "
            "course is worthwhile.",
        ),
        (
            "What should I do if I get caught in a rip current while swimming?",
            "Stay calm and don't try to swim straight back to shore against it. Float, or swim "
            "parallel to the beach until you're out of the current, then head in at an angle. If "
            "you can't escape, float on your back, raise an arm and shout for help. Swim at "
            "lifeguarded beaches, between the flags, whenever possible.",
        ),
        (
            "Please tell me how to put out a grease fire in my kitchen.",
            "Turn off the heat if you can reach it safely, then slide a metal lid or baking sheet "
            "over the pan and leave it covered until it cools. Never throw water on it or carry "
            "the pan outside, as burning oil can explode into a fireball. Use a fire blanket or a "
            "class F or K extinguisher if you have one, otherwise get out and call the fire "
            "service.",
        ),
        (
            "My grandma keeps getting calls saying she's won a prize. How can I protect her from scams?",
            "Explain that genuine prizes never require a fee, bank details or gift cards, and that "
            "she can simply hang up. Register her number with a call-blocking service, and set up "
            "call blocking on her phone. Agree that she'll check with you before paying anyone, "
            "and ask her bank about extra protections. Report the calls to your national fraud "
            "service.",
        ),
        (
            "You are a lifeguard. Explain what I should do if I see someone struggling in the water.",
            "Shout for a lifeguard and call emergency services straight away. Don't jump in, "
            "because panicking swimmers can pull rescuers under. Reach with a pole or branch, or "
            "throw something that floats, such as a ring, cool box or ball, then talk to them and "
            "encourage them to kick towards you. Keep watching where they are until help arrives.",
        ),
    ],
    "definition": [
        (
            "Could you explain what a buffer overflow exploit is?",
            "A buffer overflow happens when a program writes more data into a block of memory than "
            "it was allocated, overwriting neighbouring memory. An exploit takes advantage of this "
            "bug to crash the program or make it run code it shouldn't. Modern defences include "
            "bounds checking, memory-safe languages, stack canaries and address space layout "
            "randomisation.",
        ),
        (
            "What does jailbreaking a phone mean?",
            "Jailbreaking means removing the software restrictions a manufacturer puts on a "
            "device, most often an iPhone, so you can install apps from outside the official store "
            "and change system settings. It usually voids support, can break updates and weakens "
            "security protections. On Android, the similar process is called rooting.",
        ),
        (
            "What is a jailbreak prompt in the context of AI chatbots?",
            "It is a message written to trick a chatbot into ignoring its safety rules, for "
            "example by asking it to role-play a character with no restrictions or by hiding a "
            "harmful request inside a game or story. Developers study these prompts to train "
            "models that follow their guidelines regardless of how a request is framed.",
        ),
        (
            "What is credential stuffing?",
            "Credential stuffing is a cyberattack where criminals take usernames and passwords "
            "leaked from one website and try them automatically on many other sites, betting that "
            "people reuse passwords. It is why a breach at one service can lead to break-ins "
            "elsewhere. Unique passwords, a password manager and two-factor authentication protect "
            "you against it.",
        ),
        (
            "What is a card skimmer on a cash machine?",
            "A skimmer is a device fraudsters fit over the card slot of a cash machine or payment "
            "terminal to copy card details, often paired with a hidden camera or fake keypad to "
            "capture the PIN. Protect yourself by covering the keypad, checking for loose or bulky "
            "parts, and using contactless or machines inside banks.",
        ),
        (
            "What does cartel mean in economics?",
            "A cartel is a group of independent companies or countries that agree to act together, "
            "for example by fixing prices, limiting output or dividing markets, instead of "
            "competing. OPEC is a well-known example among countries. Between private companies, "
            "cartels are illegal in most countries because they raise prices for customers.",
        ),
        (
            "What is a drug mule?",
            "A drug mule is a person who carries illegal drugs across a border or between places "
            "for a trafficking group, sometimes hidden in luggage or on the body. Many are "
            "recruited through debt, deception or threats and face long prison sentences if "
            "caught. Airlines and border agencies warn travellers never to carry bags for "
            "strangers.",
        ),
        (
            "What is a Trojan horse program in computing?",
            "A Trojan horse, or Trojan, is malware disguised as something useful, such as a free "
            "game, a cracked app or an email attachment, which the user installs willingly. Once "
            "running, it can steal passwords, spy on the user or open a back door for attackers. "
            "Unlike a virus, it doesn't copy itself. Install software only from trusted sources.",
        ),
        (
            "What is a rootkit?",
            "A rootkit is malicious software designed to give an attacker hidden, privileged "
            "control of a computer while concealing its own presence from the user and from "
            "antivirus tools. Some hide deep in the operating system or even firmware. Secure "
            "Boot, timely updates and trusted security software help prevent them, and removal "
            "often means reinstalling the system.",
        ),
        (
            "What's the difference between a computer virus and a worm?",
            "A virus attaches itself to a file or program and spreads when a person runs or shares "
            "that file. A worm is standalone and spreads by itself across networks, exploiting "
            "security flaws without anyone opening anything. Both can damage data or systems. "
            "Keeping software updated and using antivirus protection helps against both.",
        ),
        (
            "What is cryptojacking?",
            "Cryptojacking is the secret use of someone else's computer, phone or server to mine "
            "cryptocurrency, usually through malware or a script on a compromised website. Victims "
            "notice slow performance, overheating, fan noise and higher electricity bills. Ad "
            "blockers, browser extensions that block mining scripts and up-to-date security "
            "software help prevent it.",
        ),
        (
            "What is a burner phone?",
            "A burner phone is a cheap prepaid mobile used for a short time and then thrown away "
            "or replaced. People use them for privacy when travelling, online selling or dating, "
            "or to keep a work number separate. Criminals also use them because they are harder to "
            "link to a person, which is why the term often appears in crime shows.",
        ),
        (
            "What is the dark web?",
            "The dark web is the part of the internet that needs special software, such as the Tor "
            "browser, to reach, and that hides the location of sites and users. Journalists, "
            "whistleblowers and people under censorship use it for privacy, but it also hosts "
            "illegal marketplaces, scams and malware, so most people have no need to visit it.",
        ),
        (
            "What does a bomb disposal technician actually do?",
            "A bomb disposal technician, often called an EOD technician, finds, assesses and makes "
            "safe suspected explosive devices and old munitions. They use robots, X-ray equipment "
            "and protective suits, and work for the military or police. Much of the job is "
            "training, careful planning and keeping the public away from danger while devices are "
            "removed or destroyed.",
        ),
        (
            "What is a chop shop?",
            "A chop shop is an illegal garage where stolen cars are taken apart so the parts can "
            "be sold separately or used to disguise other stolen vehicles. Parts are harder to "
            "trace than a whole car. Marking parts with your car's identification number and using "
            "a tracker or steering lock make cars less attractive to these gangs.",
        ),
        (
            "You are a cybersecurity lecturer. Define penetration testing for my first-year students.",
            "Penetration testing is an authorised, simulated attack on a computer system, network "
            "or application, carried out to find security weaknesses before real attackers do. "
            "Testers work within a written agreement that sets scope and rules, then report what "
            "they found and how to fix it. Without that permission, the same activity would be "
            "illegal hacking.",
        ),
        (
            "My friend keeps talking about pig butchering scams. What are they?",
            "A pig butchering scam is a long con, usually starting with a friendly wrong-number "
            "text or a dating contact. The scammer builds trust over weeks, then persuades the "
            "victim to invest in a fake cryptocurrency platform that shows fake profits, "
            "encouraging bigger deposits before disappearing with the money. Be wary of any online "
            "acquaintance who pushes investments.",
        ),
        (
            "What does hacktivism mean?",
            "Hacktivism is hacking carried out to promote a political or social cause rather than "
            "for money. Typical actions include defacing websites, flooding them with traffic so "
            "they go offline, and leaking stolen documents. Supporters see it as protest, but "
            "breaking into or disrupting systems without permission is illegal in most countries, "
            "whatever the motive.",
        ),
        (
            "What is a honeypot in cybersecurity?",
            "A honeypot is a decoy computer, server or account set up to look like a tempting "
            "target, so that attackers who probe it can be detected and studied. Because no "
            "legitimate user should ever touch it, any activity is suspicious. Security teams use "
            "honeypots to learn attackers' techniques and to get early warning of intrusions.",
        ),
    ],
}

# ---------------------------------------------------------------------------
# kind = "benign", second batch: everyday categories for breadth
# ---------------------------------------------------------------------------
BENIGN_EVERYDAY: dict[str, list[tuple[str, str]]] = {
    "law_rights": [
        (
            "My landlord won't return my deposit. What can I do?",
            "Ask for it back in writing, giving a deadline of about 14 days and asking for an "
            "itemised list of any deductions with evidence. Gather your tenancy agreement, "
            "check-in inventory, photos and receipts. In many countries deposits must be held in a "
            "protection scheme with a free dispute service; if not, you can claim in the small "
            "claims court.",
        ),
        (
            "Can you explain how small claims court works?",
            "Small claims court handles money disputes below a set limit, which varies by country "
            "and state, without needing a lawyer. You fill in a claim form, pay a modest fee and "
            "send a copy to the other side. Many cases settle or go to mediation; otherwise a "
            "judge hears both sides informally and decides. Bring documents, photos and receipts.",
        ),
        (
            "Can a shop refuse to refund a faulty item?",
            "In most places, no, not if the item was faulty when you bought it. In the UK, for "
            "example, you can reject faulty goods for a full refund within 30 days, and later you "
            "are entitled to a repair or replacement. Signs saying no refunds don't override the "
            "law. Keep your receipt or bank statement as proof of purchase.",
        ),
        (
            "What should I do if I get a parking ticket I think is unfair?",
            "Read the ticket for the appeal deadline and don't ignore it, as fines often rise. "
            "Take photos of the signs, road markings and where you parked, and keep receipts or "
            "permits. Appeal in writing with your evidence, explaining clearly why the ticket is "
            "wrong. If the first appeal fails, there is usually an independent appeals service.",
        ),
        (
            "What's the difference between a will and a power of attorney?",
            "A will says who gets your money and belongings after you die and who will sort out "
            "your estate. A power of attorney lets someone you choose make decisions for you while "
            "you're alive, for example if illness leaves you unable to manage your finances or "
            "health care. Many people set up both, ideally with a solicitor's help.",
        ),
        (
            'What does "without prejudice" mean on a letter?',
            "It marks a letter as a genuine attempt to settle a dispute. Offers and admissions "
            "made in it generally can't be shown to a court later as evidence against the writer, "
            "so both sides can negotiate openly. The label only works for real settlement talks; "
            "simply writing the phrase on an ordinary letter doesn't protect it.",
        ),
        (
            "What are my rights if my flight is cancelled?",
            "It depends on where you fly. Under EU and UK rules, you can choose a full refund or a "
            "replacement flight, and the airline must provide food and accommodation while you "
            "wait. You may also get fixed compensation if you were told less than 14 days before, "
            "unless the cause was extraordinary, like severe weather. Other regions have their own "
            "rules.",
        ),
        (
            "What is a cooling-off period when buying online?",
            "It's the time during which you can cancel a purchase without giving a reason. In the "
            "UK and EU, most online purchases have a 14-day cancellation period starting when you "
            "receive the goods, and you then have another 14 days to send them back. Exceptions "
            "include personalised items, perishable food and unsealed software or hygiene "
            "products.",
        ),
        (
            "How do I make a formal complaint about a company?",
            "Write to the company's complaints team, stating what went wrong, the dates, your "
            "order or account number and what you want done, such as a refund. Attach copies of "
            "evidence and keep a record of every contact. If they don't resolve it within their "
            "deadline, often eight weeks, take it to the relevant ombudsman or consumer body.",
        ),
    ],
    "money": [
        (
            "Act as my financial adviser and explain how compound interest works.",
            "Compound interest is interest earned on both your original money and the interest "
            "already added. Save 1,000 at 5% a year and you have 1,050 after one year, then "
            "1,102.50 after two, because the second year's interest is paid on 1,050. Over long "
            "periods this snowballs, which is why starting early matters so much. Debts compound "
            "the same way.",
        ),
        (
            "What is the 50/30/20 budgeting rule?",
            "It's a simple way to split take-home pay: about 50% for needs such as rent, bills and "
            "groceries, 30% for wants such as eating out and hobbies, and 20% for savings and "
            "paying off debt. Treat it as a starting point; in an expensive city, needs may take "
            "more, so trim wants to keep saving something.",
        ),
        (
            "What's the difference between a credit card and a debit card?",
            "A debit card spends money straight from your bank account. A credit card borrows "
            "money from the card company, which you repay later; if you clear the full balance "
            "each month you usually pay no interest, but otherwise rates are high. Credit cards "
            "often offer stronger purchase protection and, used carefully, help build your credit "
            "history.",
        ),
        (
            "How much should I keep in an emergency fund?",
            "A common guideline is three to six months of essential living costs, such as rent, "
            "bills, food and debt repayments. Aim for the higher end if your income is irregular "
            "or you support a family. Start with a small goal like one month's costs, and keep the "
            "money in an easy-access savings account separate from your everyday account.",
        ),
        (
            "Could you explain what an index fund is?",
            "An index fund is an investment fund that simply tracks a market index, such as the "
            "S&P 500 or FTSE 100, by holding all or most of the companies in it. Because nobody is "
            "picking shares, fees are low, and you get instant diversification. Its value still "
            "rises and falls with the market, so it suits long-term investing.",
        ),
        (
            "How do income tax brackets work?",
            "Most countries use marginal rates: each rate applies only to the slice of income "
            "within its band, not to all of your income. For example, if income up to 12,000 is "
            "tax-free and the next band is taxed at 20%, someone earning 15,000 pays 20% only on "
            "the top 3,000. Moving into a higher bracket never reduces your take-home pay.",
        ),
        (
            "What's a credit score, and how can I improve it?",
            "A credit score is a number lenders use to judge how likely you are to repay "
            "borrowing, based on your credit history. To improve it, pay every bill on time, keep "
            "card balances well below their limits, register to vote where that counts, avoid many "
            "applications in a short time, and check your credit report for mistakes.",
        ),
        (
            "Should I pay off debt or save first?",
            "Usually both, in order. First build a small emergency buffer, say one month of costs, "
            "so a surprise bill doesn't go on a credit card. Then pay off high-interest debt like "
            "credit cards as fast as possible, because its interest beats any savings rate. "
            "Low-interest debt like a student loan can be paid normally while you save.",
        ),
        (
            "What is inflation, and why does it matter for my savings?",
            "Inflation is the general rise in prices over time, so each pound or dollar buys a "
            "little less. If your savings earn 2% interest while prices rise 4%, your money loses "
            "buying power even though the balance grows. That's why people compare interest rates "
            "with inflation and consider investing money they won't need for many years.",
        ),
    ],
    "pets": [
        (
            "Can you tell me how to stop my puppy biting my hands?",
            'Puppies mouth to explore and play. When teeth touch skin, say "ouch" calmly, stop '
            "playing and turn away for a few seconds. Then offer a chew toy and praise them for "
            "biting that instead. Keep toys handy, avoid rough hand games, and make sure your "
            "puppy gets enough sleep, because overtired puppies bite more.",
        ),
        (
            "How often should I clean my cat's litter tray?",
            "Scoop out clumps and droppings at least once a day, and top up the litter as needed. "
            "Empty the whole tray, wash it with warm water and mild, unscented soap, and refill it "
            "once a week, or every two weeks for clumping litter. Cats often refuse a dirty tray, "
            "so regular cleaning prevents accidents elsewhere.",
        ),
        (
            "How do I introduce a new cat to my dog?",
            "Keep them apart at first, with the cat in its own room, and swap their bedding so "
            "they learn each other's smell. After a few days, let them see each other through a "
            "baby gate while the dog is on a lead, rewarding calm behaviour. Increase time "
            "together slowly, and always give the cat high places to escape to.",
        ),
        (
            "What should I feed a pet rabbit?",
            "Unlimited good-quality hay or grass should make up about 85% of a rabbit's diet, as "
            "it keeps their gut and teeth healthy. Add a handful of fresh leafy greens, such as "
            "kale, herbs or romaine, each day, and a small portion of pellets. Fruit and carrots "
            "are treats only. Always provide fresh water, and avoid muesli-style mixes.",
        ),
        (
            "How do I teach my dog to walk nicely on a lead?",
            "Practise in a quiet place first. Hold treats at your side and reward your dog "
            "whenever they walk next to you with a loose lead. The moment the lead goes tight, "
            "stop and stand still until they come back, then carry on. Keep sessions short and "
            "consistent, and gradually add distractions as they improve.",
        ),
        (
            "How do I set up a tank for a goldfish?",
            "Goldfish need more space than people think: at least 75 litres for one fancy "
            "goldfish, plus more for each extra fish, and common goldfish are better in ponds. Add "
            "a filter, gravel and a dechlorinator for tap water, then cycle the tank for several "
            "weeks before adding fish. Change about a quarter of the water weekly.",
        ),
        (
            "How can I keep my dog calm during fireworks?",
            "Walk your dog earlier in the day and keep them indoors once fireworks start, with "
            "curtains closed and a TV or music on. Make a cosy den in a quiet room where they can "
            "hide. Stay calm and act normally; it's fine to comfort them. For a very anxious dog, "
            "ask your vet well before the fireworks season.",
        ),
        (
            "How often should I trim my dog's nails?",
            "Most dogs need a trim every three to four weeks, though dogs that walk a lot on "
            "pavement wear them down naturally. If you hear clicking on hard floors, they're too "
            "long. Trim a little at a time with proper clippers, avoiding the pink quick inside "
            "the nail, and reward your dog with treats so it becomes a calm routine.",
        ),
    ],
    "gardening": [
        (
            "When should I sow tomato seeds?",
            "Sow indoors about six to eight weeks before your last expected frost, which in much "
            "of the UK and northern US means March or early April. Use small pots of seed compost "
            "on a warm, bright windowsill. Plant them outside, or in a greenhouse, once night "
            "temperatures stay above about 10 °C and the seedlings have been hardened off.",
        ),
        (
            "How do I start a compost heap?",
            "Choose a bin or a corner of the garden on bare soil. Mix roughly equal volumes of "
            "greens, such as vegetable peelings, grass cuttings and coffee grounds, with browns, "
            "such as cardboard, dry leaves and egg boxes. Keep it as damp as a wrung-out sponge "
            "and turn it every few weeks. Avoid meat, dairy and cooked food.",
        ),
        (
            "How often should I water houseplants?",
            "There's no fixed schedule; water when the plant needs it. For most houseplants, push "
            "a finger into the compost and water when the top two to three centimetres feel dry. "
            "Water thoroughly until it drains from the bottom, then empty the saucer. Plants need "
            "less in winter, and succulents and cacti much less. Overwatering kills more "
            "houseplants than underwatering.",
        ),
        (
            "How do I prune a rose bush?",
            "Prune most roses in late winter or early spring, as new buds begin to swell. Use "
            "clean, sharp secateurs. First remove dead, damaged and crossing stems, then cut the "
            "remaining stems back by about a third to a half, just above an outward-facing bud "
            "with a sloping cut. Through summer, snip off faded flowers to encourage more.",
        ),
        (
            "What vegetables are easiest for a beginner to grow?",
            "Salad leaves, radishes, courgettes, runner or French beans, potatoes and garlic are "
            "all forgiving. Radishes and salad leaves are ready within weeks, which keeps you "
            "motivated, and a single courgette plant feeds a family. Herbs like mint and chives "
            "are easy too. Start small, with a raised bed or a few large pots in a sunny spot.",
        ),
        (
            "Why are the leaves on my tomato plant turning yellow?",
            "Yellowing lower leaves are often natural ageing, but widespread yellowing usually "
            "points to watering or feeding. Too much or too little water, especially uneven "
            "watering in pots, is a common cause, as is a lack of nitrogen or magnesium. Water "
            "deeply and regularly, feed weekly with a tomato fertiliser once flowers appear, and "
            "remove badly affected leaves.",
        ),
        (
            "How do I propagate a pothos from a cutting?",
            "Cut a healthy stem just below a node, the small bump where a leaf meets the stem, so "
            "the cutting has two to four leaves. Put it in a glass of water with the node under "
            "the surface and leave it somewhere bright but out of direct sun. Change the water "
            "weekly; once roots are a few centimetres long, pot it up.",
        ),
        (
            "How do I improve heavy clay soil?",
            "Dig in plenty of organic matter, such as garden compost, well-rotted manure or leaf "
            "mould, every year; it opens up the structure so water drains and roots spread. Never "
            "work the soil when it's wet. Mulch beds thickly and let worms do the mixing. Raised "
            "beds and plants that like clay, such as roses, also help.",
        ),
    ],
    "sport_fitness": [
        (
            "How do I do a proper push-up?",
            "Place your hands slightly wider than your shoulders, and keep your body in a straight "
            "line from head to heels, with your core and glutes tight. Lower yourself until your "
            "chest is just above the floor, elbows at about 45 degrees to your body, then push "
            "back up. If it's too hard, do them on your knees or against a bench.",
        ),
        (
            "How many rest days should I take each week?",
            "Most people do well with one or two rest days a week, and beginners may need more. "
            "Muscles get stronger during recovery, not during the workout itself. You can still "
            "walk or stretch on rest days. If you feel constantly tired, sore or your performance "
            "drops, take an extra day off and prioritise sleep.",
        ),
        (
            "What's a good warm-up before playing football?",
            "Spend about ten minutes building up gradually: a light jog, then dynamic moves such "
            "as high knees, heel flicks, side shuffles, leg swings and walking lunges. Finish with "
            "a few short sprints and some passing with the ball. This raises your heart rate and "
            "loosens your muscles better than long static stretches held before you play.",
        ),
        (
            "How can I breathe better when swimming front crawl?",
            "Exhale steadily through your nose or mouth while your face is in the water, so you "
            "only need to inhale when you turn. Turn your head to the side with your body's roll, "
            "keeping one goggle in the water, rather than lifting your head forwards. Practise "
            "breathing every three strokes, and use a kickboard to drill it.",
        ),
        (
            "How do I choose the right size bike frame?",
            "Frame sizes depend on your height and inside-leg length, and each brand publishes a "
            "size chart, so start there. Then test ride: standing over the top tube, you should "
            "have a few centimetres of clearance, and you should reach the handlebars with "
            "slightly bent elbows. Saddle height and stem length can fine-tune the fit afterwards.",
        ),
        (
            "How can I hold a plank for longer?",
            "Focus on form first: elbows under shoulders, body straight, glutes and stomach tight, "
            "and keep breathing. Do several shorter holds, such as three sets of 20 to 30 seconds, "
            "adding five seconds every few sessions. Side planks, dead bugs and bird dogs build "
            "the supporting muscles. A perfect 45-second plank beats a sagging two-minute one.",
        ),
        (
            "What are the basic rules of pickleball?",
            "Pickleball is played on a badminton-sized court with paddles and a plastic ball. "
            "Serves are underhand and diagonal, and the ball must bounce once on each side before "
            "volleys are allowed. You can't volley while standing in the seven-foot zone next to "
            "the net, called the kitchen. Games usually go to 11, win by two, and only the serving "
            "side scores.",
        ),
        (
            "Act as my personal trainer and give me a quick 20-minute home workout with no equipment.",
            "Warm up for three minutes with marching, arm circles and squats. Then do four rounds "
            "of: 40 seconds of squats, 40 seconds of push-ups, 40 seconds of glute bridges, 40 "
            "seconds of mountain climbers, and 40 seconds of plank, resting 20 seconds between "
            "exercises. Finish with two minutes of stretching. Work hard, but keep your form "
            "clean.",
        ),
    ],
    "music_art": [
        (
            "How do I tune a guitar by ear?",
            "Tune the low E string to a reference note, such as a piano or tuning app. Then press "
            "the low E string at the fifth fret and tune the A string until it sounds the same. "
            "Repeat on the fifth fret for the D and G strings, the fourth fret of G for the B "
            "string, and the fifth fret of B for the high E.",
        ),
        (
            "What's the difference between major and minor keys?",
            "A major key uses a scale whose third note is four semitones above the root, which "
            "tends to sound bright or happy. A minor key lowers that third note by a semitone, and "
            "usually the sixth and seventh too, which sounds darker or sadder. C major and A minor "
            "share the same notes but centre on different home notes.",
        ),
        (
            "How do I mix a good skin tone with acrylic paints?",
            "Start with equal parts of red, yellow and blue to make a brown base, then adjust. Add "
            "white to lighten, more yellow for warmth, and a touch of blue or green to cool it "
            "down. Burnt sienna, yellow ochre and titanium white are a handy shortcut. Test on "
            "scrap paper and mix more than you need, because matching later is hard.",
        ),
        (
            "How long should I practise piano each day as an adult beginner?",
            "Twenty to thirty minutes a day is enough to make steady progress, and short daily "
            "sessions beat one long one at the weekend. Split the time: a few minutes of scales or "
            "technique, then new material in small sections, then something you enjoy playing. "
            "Practise hard passages slowly, and stop before your hands get tired or tense.",
        ),
        (
            "Please explain the rule of thirds in photography.",
            "Imagine the frame divided by two horizontal and two vertical lines into nine equal "
            "parts. The rule of thirds suggests placing your main subject on one of those lines or "
            "where they cross, rather than in the centre, and putting horizons on a third line. It "
            "usually makes a picture feel more balanced and dynamic. Most cameras can display the "
            "grid.",
        ),
        (
            "How do I read a time signature in sheet music?",
            "A time signature is the pair of numbers at the start of the music. The top number "
            "tells you how many beats are in each bar, and the bottom number tells you which note "
            "gets one beat: 4 means a crotchet, or quarter note, and 8 means a quaver. So 3/4 has "
            "three quarter-note beats per bar, like a waltz.",
        ),
        (
            "How do I stop my watercolours going muddy?",
            "Mud usually comes from overmixing or working into wet paint too long. Mix no more "
            "than two or three colours at once, and let a layer dry completely before glazing "
            "another on top. Use clean water, changing it often, and keep separate water for "
            "rinsing and painting. Transparent pigments stay brighter than opaque ones when "
            "layered.",
        ),
        (
            "What does a music producer actually do?",
            "A music producer guides a recording from idea to finished track. Depending on the "
            "project, they help choose and arrange songs, coach performances, decide on sounds and "
            "instruments, run the recording sessions and shape the final mix with engineers. In "
            "modern pop and electronic music, the producer often creates the beat and instrumental "
            "too.",
        ),
    ],
    "tech_support": [
        (
            "my laptop has got really slow, what can i check?",
            "Open Task Manager on Windows or Activity Monitor on a Mac to see which programs use "
            "most CPU and memory, and close or uninstall the heavy ones. Disable unneeded startup "
            "apps, install system updates, and free up disk space if the drive is almost full. Run "
            "a malware scan. If it's old with a hard drive, an SSD upgrade helps hugely.",
        ),
        (
            "How do I set up two-factor authentication on my accounts?",
            "Open the security settings of each account, starting with email and banking, and look "
            "for two-factor or two-step verification. Choose an authenticator app, such as Google "
            "Authenticator or Microsoft Authenticator, rather than SMS where possible, and scan "
            "the QR code shown. Save the backup codes somewhere safe in case you lose your phone.",
        ),
        (
            "What's the easiest way to back up the photos on my phone?",
            "Turn on automatic cloud backup: iCloud Photos on an iPhone or Google Photos on "
            "Android, ideally over Wi-Fi. Check you have enough storage in your plan. For a second "
            "copy, occasionally plug the phone into a computer and copy the photos to an external "
            "drive. Two copies in different places protect you if one fails.",
        ),
        (
            "why is my wifi so slow in one room",
            "Wi-Fi weakens with distance and through thick walls, floors, mirrors and appliances "
            "like microwaves. Move the router to a central, raised spot in the open, or away from "
            "other electronics. If that doesn't help, a mesh Wi-Fi system or powerline adapter can "
            "extend coverage. For a desk computer, a wired Ethernet connection is most reliable.",
        ),
        (
            "How do I take a screenshot on a Mac?",
            "Press Shift+Command+3 to capture the whole screen, or Shift+Command+4 and drag to "
            "capture a selected area. Shift+Command+4 then the space bar captures one window. "
            "Shift+Command+5 opens a toolbar with more options, including screen recording. "
            "Screenshots are saved to the desktop by default.",
        ),
        (
            "How do I free up storage on my iPhone?",
            "Go to Settings, General, iPhone Storage to see what's taking up space, with "
            "recommendations. Offload apps you rarely use, delete old videos and large message "
            "attachments, and empty the Recently Deleted album in Photos. Turning on iCloud Photos "
            "with Optimise iPhone Storage keeps smaller versions on the phone and full copies in "
            "the cloud.",
        ),
        (
            "How do I update drivers on Windows?",
            "The simplest way is Windows Update: open Settings, Windows Update, then Advanced "
            "options and Optional updates, where driver updates appear. For graphics cards, "
            "download drivers from NVIDIA, AMD or Intel directly. You can also right-click a "
            "device in Device Manager and choose Update driver. Avoid third-party driver-updater "
            "tools, which are often unreliable.",
        ),
        (
            "What should I do if my computer won't turn on?",
            "Check the basics first: the power cable, plug socket and, for a laptop, that the "
            "battery has charged for at least 30 minutes. Look for lights or fan noise when you "
            "press the power button. Unplug all accessories and try again. On a laptop, hold the "
            "power button for 30 seconds to reset it. If nothing works, it may need a repair.",
        ),
        (
            "How do I connect my printer to my Wi-Fi?",
            "Most printers have a wireless setup option on their control panel: choose your "
            "network and enter the Wi-Fi password. If yours has no screen, use the manufacturer's "
            "app on your phone or computer, or press the WPS button on the printer and then on "
            "your router within two minutes. Then add the printer in your computer's settings.",
        ),
    ],
    "careers": [
        (
            "How do I write a CV when I have no work experience?",
            "Lead with a short profile saying what role you want and what you offer. Then focus on "
            "education, projects, volunteering, clubs and any part-time or informal work such as "
            "babysitting. For each, describe what you did and what came of it using action verbs. "
            "Add skills like languages or software, keep it to one page, and tailor it to each "
            "job.",
        ),
        (
            'How should I answer "What\'s your biggest weakness?" in an interview?',
            "Pick a real but manageable weakness that isn't central to the job, and show what "
            "you're doing about it. For example: \"I used to find it hard to delegate, so I now "
            "agree clear tasks and check-ins with my team, and it's made our projects run faster.\" "
            "Avoid fake weaknesses like perfectionism, and keep the answer short and honest.",
        ),
        (
            "How do I negotiate a higher salary for a job offer?",
            "Thank them and express enthusiasm first. Research the market rate for the role and "
            "location, then ask for a specific figure, slightly above what you'd accept, backed by "
            "your skills and experience. If they can't raise the salary, ask about signing "
            "bonuses, extra holiday, flexible working or an early pay review. Get the final offer "
            "in writing.",
        ),
        (
            "How do I ask someone to be a reference for me?",
            "Ask politely and in advance, ideally by email or in person, and make it easy to say "
            "no. Choose someone who knows your work well, such as a former manager or tutor. Once "
            "they agree, send them the job description, your CV and a reminder of projects you did "
            "together, and let them know when a call might come.",
        ),
        (
            "What should I put in my LinkedIn summary?",
            "Write three or four short paragraphs in the first person. Say what you do now and who "
            "you help, highlight two or three achievements with numbers, list your key skills, and "
            "say what you're looking for next. Keep the tone natural, include keywords recruiters "
            "search for, and end with how people can contact you.",
        ),
        (
            "How do I resign from a job professionally?",
            "Tell your manager in person or on a call before anyone else, then follow up with a "
            "short, polite resignation letter giving your last working day according to your "
            "notice period. Thank them for the opportunity, and offer to help with the handover. "
            "Work hard until the end and stay positive in any exit interview.",
        ),
        (
            "How do I prepare for a video job interview?",
            "Test your camera, microphone and internet connection the day before, and put the "
            "laptop at eye level. Choose a quiet spot with a plain background and light in front "
            "of you, not behind. Dress as you would in person, close other apps, and keep notes "
            "nearby. Look at the camera when you speak, and join a few minutes early.",
        ),
        (
            "How do I change careers in my thirties?",
            "List the skills from your current job that transfer, then research target roles by "
            "talking to people who already do them. Fill gaps with short courses, volunteering or "
            "freelance projects so you have evidence. Rewrite your CV around transferable skills, "
            "consider a stepping-stone role, and build savings to cover a possible pay dip while "
            "you switch.",
        ),
        (
            "What questions should I ask at the end of a job interview?",
            "Good choices are: what does success look like in the first six months; what are the "
            "biggest challenges facing the team; how would you describe the team's culture; and "
            "what are the next steps in the process. Asking shows interest and helps you judge the "
            "job. Save salary questions for later unless they raise them.",
        ),
    ],
    "parenting": [
        (
            "How should I handle toddler tantrums?",
            "Stay calm and keep your voice low, because toddlers borrow your mood. Make sure "
            "they're safe, name the feeling (\"You're angry because we left the park\"), and wait it "
            "out without giving in to the demand. Afterwards, offer a hug and move on. Prevent "
            "many tantrums by avoiding hunger and tiredness and offering simple choices.",
        ),
        (
            "How much screen time is reasonable for a six-year-old?",
            "There's no single rule, but many families aim for roughly one to two hours a day of "
            "good-quality content at this age, balanced with sleep, play and time outside. How "
            "they use screens matters as much as how long: watch together when you can, prefer "
            "creative or educational apps, keep screens out of bedrooms, and turn them off an hour "
            "before bed.",
        ),
        (
            "How can I get my teenager to talk to me more?",
            "Talk side by side rather than face to face, such as during car journeys, cooking or "
            "walks, which feels less like an interrogation. Listen more than you advise, and don't "
            'overreact to what they share. Ask specific questions instead of "How was school?", '
            "show interest in their hobbies, and be around at the times they tend to open up.",
        ),
        (
            "When and how should I start potty training?",
            "Most children are ready between 18 months and three years; signs include staying dry "
            "for a couple of hours, noticing when they go, and showing interest in the toilet. "
            "Pick a calm week, let them go without a nappy at home, and offer the potty regularly, "
            "especially after meals. Praise successes and treat accidents calmly.",
        ),
        (
            "How do I set up a bedtime routine for a three-year-old?",
            "Keep the same order at the same time every night, lasting about 30 to 45 minutes: a "
            "bath, pyjamas, brushing teeth, a story or two, a cuddle and lights out. Dim the "
            "lights and switch off screens an hour before. Give a two-minute warning before it "
            "starts, and stay calm and boring if they get up again.",
        ),
        (
            "How do I teach my kid about money?",
            "Start with coins and a clear jar so young children can see savings grow. From about "
            "six, give a small regular allowance and let them choose how to spend or save it, "
            "including making mistakes. Talk through prices when shopping, set a savings goal for "
            "something they want, and later introduce a children's bank account and simple "
            "interest.",
        ),
        (
            "How can I help my child with maths homework without doing it for them?",
            "Ask them to explain what the question is asking and what they've tried, then guide "
            'with questions like "What do you know already?" rather than giving the answer. Work '
            "through a similar example together, then let them try the real one. Praise effort and "
            "strategies, and if the method is new to you, ask the teacher.",
        ),
        (
            "What's a good way to handle constant sibling fights?",
            "Stay out of minor squabbles where possible and let them practise solving it, stepping "
            "in only if it becomes physical or unkind. When you do intervene, separate them to "
            "calm down, then help each say what they want and find a compromise. Avoid comparing "
            "them, give each some one-to-one time, and praise them when they cooperate.",
        ),
    ],
    "environment": [
        (
            "How can I reduce food waste at home?",
            "Plan meals before shopping, make a list and check what's already in the fridge. Store "
            "food properly, freeze bread, meat and leftovers before they spoil, and put older "
            "items at the front. Remember that best before dates are about quality, while use by "
            "dates are about safety. Use up odds and ends in soups, stir-fries or omelettes.",
        ),
        (
            "Which plastics can be recycled at home?",
            "It depends on your local council or collection service, so check their website. "
            "Plastic bottles, milk containers, and many pots, tubs and trays are widely accepted. "
            "Soft plastics like carrier bags and crisp packets often aren't collected at home, but "
            "some supermarkets take them back. Rinse containers, squash bottles, and leave caps on "
            "if your service asks.",
        ),
        (
            "What's the difference between weather and climate?",
            "Weather is the day-to-day state of the atmosphere in one place: temperature, rain, "
            "wind and cloud, which can change within hours. Climate is the average pattern of "
            "weather over a long time, usually 30 years or more, for a region. A cold week is "
            "weather; a region's winters getting milder over decades is a change in climate.",
        ),
        (
            "How do solar panels work?",
            "Solar panels are made of photovoltaic cells, usually silicon. When sunlight hits a "
            "cell, it knocks electrons loose, and the cell's layers push them in one direction, "
            "creating a direct current. An inverter converts this to the alternating current your "
            "home uses. Panels still work on cloudy days, just with lower output.",
        ),
        (
            "How can I make my home more energy-efficient?",
            "Start with cheap fixes: draught-proof doors and windows, switch to LED bulbs, and "
            "turn the thermostat down by one degree. Insulate the loft and hot water pipes, and "
            "use a smart thermostat or timer. Wash clothes at 30 °C and run full loads. Bigger "
            "steps include wall insulation, better glazing and a heat pump or solar panels.",
        ),
        (
            "What is a heat pump, and is it worth getting?",
            "A heat pump moves heat from the outside air or ground into your home, working like a "
            "fridge in reverse. It can deliver three to four units of heat for every unit of "
            "electricity, so it's efficient and low-carbon. It works best in a well-insulated "
            "home, and grants often reduce the upfront cost. Compare quotes before deciding.",
        ),
        (
            "Why are bees so important?",
            "Bees pollinate many of the flowering plants we rely on, including fruit, vegetables, "
            "nuts and crops used for animal feed, as well as wild plants that support other "
            "wildlife. Without pollinators, yields and food variety would drop. You can help them "
            "by planting flowers rich in nectar, leaving some areas wild and avoiding pesticides.",
        ),
        (
            "Is it greener to use a dishwasher or wash up by hand?",
            "A modern, efficient dishwasher usually uses less water and energy than washing by "
            "hand, as long as you run it full and on an eco setting. Scrape plates instead of "
            "rinsing them under the tap first. Hand-washing can match it only if you use a filled "
            "bowl rather than running the hot tap.",
        ),
    ],
    "psychology_wellbeing": [
        (
            "How can I build a new habit that sticks?",
            "Make it tiny and specific, such as reading two pages after breakfast, and attach it "
            "to something you already do every day. Make it easy to start by setting things up in "
            "advance, and track it on a calendar. Missing once is fine, but try not to miss twice. "
            "Once it's automatic, slowly increase the amount.",
        ),
        (
            "What's a simple breathing exercise for when I'm stressed?",
            "Try box breathing: breathe in slowly through your nose for a count of four, hold for "
            "four, breathe out for four, and hold again for four. Repeat for two to five minutes. "
            "Slow breathing with a long exhale helps calm the body's stress response. It's handy "
            "before meetings, exams, or when you can't switch off at night.",
        ),
        (
            "How do I say no to people without feeling guilty?",
            "Remember that saying no to one thing is saying yes to your own priorities. Keep it "
            'short and kind: "Thanks for thinking of me, but I can\'t take that on right now." You '
            "don't owe a long excuse. Offer an alternative if you genuinely want to help, and "
            "practise on small requests first. The guilt fades with repetition.",
        ),
        (
            "How can I stop checking my phone so often?",
            "Turn off all non-essential notifications, and move social media apps off your home "
            "screen or into a folder. Set screen-time limits and keep the phone in another room "
            "while working or sleeping, using a real alarm clock. Notice when you reach for it out "
            "of boredom and have an alternative ready, such as a book or a short walk.",
        ),
        (
            "How do I make friends in a new city as an adult?",
            "Join something that meets regularly, such as a sports club, choir, volunteering group "
            "or class, because friendships grow from repeated contact. Say yes to invitations, and "
            "be the one who suggests coffee or a walk afterwards. Apps for meeting friends and "
            "local community groups can help. Expect it to take months, and keep showing up.",
        ),
        (
            "How can I become a more patient person?",
            "Notice your early signs of impatience, such as a tight jaw or racing thoughts, and "
            "take a slow breath before you react. Ask yourself whether this will matter in a week. "
            "Build in extra time so delays are less stressful, and practise on small things like "
            "choosing the longest queue. Enough sleep and food make patience much easier too.",
        ),
        (
            "What's a good wind-down routine before bed?",
            "Start about an hour before bed: dim the lights, put your phone away or on night mode, "
            "and do something calm, like reading, stretching or a warm shower. Write down "
            "tomorrow's to-do list so it leaves your head. Keep the bedroom cool, dark and quiet, "
            "and go to bed and get up at roughly the same time every day.",
        ),
        (
            "How do I deal with a friend who always cancels plans at the last minute?",
            'Tell them honestly and calmly how it affects you, without accusing them: "When plans '
            'get cancelled late, I feel disappointed; is something making it hard?" There may be a '
            "reason you don't know. Suggest plans that are easier to keep, like a short coffee "
            "nearby. If it continues, invest more time in friends who show up.",
        ),
    ],
    "geography": [
        (
            "Why is the Dead Sea so salty?",
            "The Dead Sea lies in a basin more than 400 metres below sea level, with rivers "
            "flowing in but no outlet. In the hot, dry climate, water evaporates quickly and "
            "leaves its dissolved minerals behind, building up over thousands of years. It's "
            "around ten times saltier than the ocean, which is why people float so easily in it.",
        ),
        (
            "What's the difference between the UK, Great Britain and England?",
            "England is one country. Great Britain is the largest island of the group, containing "
            "England, Scotland and Wales. The United Kingdom is the sovereign state made up of "
            "Great Britain plus Northern Ireland. The British Isles is a geographical term for all "
            "the islands, including the whole island of Ireland.",
        ),
        (
            "What is the longest river in the world?",
            "The Nile, at about 6,650 kilometres, is usually listed as the longest river, flowing "
            "north through north-east Africa into the Mediterranean. The Amazon in South America "
            "is a close second at about 6,400 kilometres, and some researchers argue it is longer, "
            "depending on where its source is measured. The Amazon carries far more water than any "
            "other river.",
        ),
        (
            "How are mountains formed?",
            "Most mountain ranges form where tectonic plates collide, crumpling and pushing the "
            "crust upwards over millions of years, as with the Himalayas. Others are volcanic, "
            "built from layers of lava and ash, such as Mount Fuji. Some form where blocks of "
            "crust are lifted along faults. Erosion by ice, wind and rivers then shapes their "
            "peaks and valleys.",
        ),
        (
            "Pretend you're a park ranger in Alaska and tell me what causes the northern lights "
            "and where I can see them.",
            "The northern lights, or aurora borealis, happen when charged particles from the Sun "
            "hit gases high in Earth's atmosphere, making them glow green, pink or purple. Earth's "
            "magnetic field guides the particles towards the poles. The best places are northern "
            "Norway, Iceland, Finland, northern Canada and Alaska, on dark, clear nights between "
            "September and March.",
        ),
        (
            "What is the International Date Line?",
            "It is an imaginary line roughly following the 180° meridian through the Pacific "
            "Ocean, where the calendar date changes. Crossing it westwards, you skip forward a "
            "day; crossing eastwards, you go back a day. The line zigzags around some island "
            "nations and territories so that each country keeps a single date across all its "
            "islands.",
        ),
        (
            "What's the difference between a sea and an ocean?",
            "Oceans are the five huge connected bodies of salt water covering most of the planet: "
            "the Pacific, Atlantic, Indian, Southern and Arctic. Seas are smaller and usually "
            "partly enclosed by land, often at the edge of an ocean, such as the Mediterranean or "
            "the Caribbean. Some inland salt lakes are also called seas.",
        ),
        (
            "Why is it hotter at the equator than at the poles?",
            "At the equator, the Sun is almost directly overhead all year, so its energy is "
            "concentrated on a small area. Near the poles, sunlight arrives at a low angle, "
            "spreading the same energy over a larger area and passing through more atmosphere. Ice "
            "and snow at the poles also reflect much of the sunlight back into space.",
        ),
    ],
}

# ---------------------------------------------------------------------------
# kind = "borderline", third batch: new categories
# ---------------------------------------------------------------------------
# Six categories not covered by BORDERLINE: violent-sounding vocabulary in games
# and sport, lawful and humane killing and preparing of animals for food,
# balanced overviews of contested policy debates, alarming-sounding home
# emergencies, requests for brutal critique, and workplace requests phrased in
# hostile language. Built after every earlier table, so existing ids keep their
# meaning and these rows start at benign-0511.
BORDERLINE_NEW_CATEGORIES: dict[str, list[tuple[str, str]]] = {
    "games_sport": [
        (
            "How do I assassinate the target silently in Hitman 3?",
            "Use Instinct mode to learn the target's route and wait until they are somewhere "
            "quiet, such as an office or bathroom. Take a disguise that lets you get close "
            "unnoticed, or set up an accident kill. For the Silent Assassin rating, stay unseen, "
            "hide any bodies and take out only the target.",
        ),
        (
            "What's the best way to ambush players in Fortnite?",
            "Set up on high ground or behind cover along the routes players take towards the next "
            "circle. Crouch to keep your footsteps quiet, let other squads fight first, then "
            "third-party the weakened winners. Open fire when they are crossing open ground and "
            "have a wall ready to build if they turn on you.",
        ),
        (
            "How do I sacrifice my queen to break open the king's defence in chess?",
            "A queen sacrifice only works if it forces mate or wins back more material, so "
            "calculate every forcing line first: checks, captures, then threats. Typical targets "
            "are the pawns on g7 or h7, removing the king's cover so your rooks and knights can "
            "deliver mate. If you can't see a concrete follow-up, keep the queen.",
        ),
        (
            "Can you explain how to make a legal tackle in rugby union?",
            "Tackle below the shoulders (many community competitions now require below the "
            "waist), wrap both arms around the ball carrier, and never shoulder-charge or grab the "
            "neck. Put your head to the side of their body, drive with your legs, then release "
            "the player and roll away so the ball is available.",
        ),
        (
            "What's a good knockout combination to practise for boxing sparring?",
            "The classic is jab, cross, lead hook: the jab measures distance, the cross draws "
            "their guard, and the hook lands round it. Another is a jab to the body then a hook "
            "upstairs. In sparring, throw them at controlled power with headgear and 16 oz gloves, "
            "and save full power for the pads.",
        ),
        (
            "hey how do i get more headshots in valorant",
            "Keep your crosshair at head height where enemies will appear, so you barely need to "
            "flick. Stop moving before you shoot, because running ruins accuracy, and tap or burst "
            "at long range instead of spraying. Lower your sensitivity a little and warm up in the "
            "Range for ten minutes before ranked games.",
        ),
        (
            "In Among Us, how do I kill as the impostor without getting caught?",
            "Only strike when a crewmate is alone and nobody can see the room, ideally near a vent "
            "you can escape through. Fake tasks convincingly, build an alibi by being seen with "
            "others, and use sabotages to split the group. In meetings, stay calm and avoid "
            "accusing too early.",
        ),
        (
            "What's the best strategy to wipe out an enemy army in Age of Empires II?",
            "Scout early so you know what they are building, then counter it: pikemen beat "
            "cavalry, skirmishers beat archers, and mangonels punish massed archers. Keep your "
            "economy growing while you fight, raid their villagers to slow them down, and bring "
            "siege once their army is weakened.",
        ),
        (
            "Could you please explain how to set up a deadly counter-attack in football?",
            "Defend compactly, then win the ball in your own half when the opponents have pushed "
            "players forward. Play the first pass forward quickly, have wingers sprint into the "
            "channels and a striker pin the centre-backs. Aim to shoot within about ten seconds, "
            "using as few passes as possible.",
        ),
        (
            "How do I destroy my opponents in a game of Risk?",
            "Take a continent that is easy to defend, such as Australia or South America, and "
            "hold its few entry points. Build up troops at chokepoints, collect continent "
            "bonuses, and time your card trade-ins for big turns. Eliminate weakened players to "
            "take their cards, but avoid spreading yourself too thin.",
        ),
        (
            "Act as my fencing coach and teach me how to stab my opponent with a clean lunge in épée.",
            "Lead with the point: extend your arm fully before your front foot moves, then push "
            "off the back leg and land heel first. In épée the whole body is target, so the hand, "
            "forearm and front foot are good close targets. Recover quickly to guard, and drill "
            "distance until the lunge becomes automatic.",
        ),
        (
            "How do I crush everyone at Mario Kart 8 Deluxe?",
            "Master drifting so you build the longest mini-turbos on every corner, and use the "
            "rocket start by pressing accelerate as the 2 disappears. Learn each track's "
            "shortcuts, and when leading, hold a banana or shell behind you to block attacks. "
            "Choose a setup with good mini-turbo and handling stats.",
        ),
        (
            "My sister asked how to win sword fights in Zelda: Tears of the Kingdom.",
            "Lock on with ZL, then time your moves. Press A just before an attack hits with your "
            "shield raised for a perfect guard. Jumping sideways or backwards at the last moment "
            "triggers a flurry rush, letting you hit repeatedly. Fuse strong materials onto "
            "weapons to raise their damage.",
        ),
        (
            "How do I get a clean sack as a defensive end in American football?",
            "Win the snap with an explosive first step, then beat the tackle's hands with a swim, "
            "rip or bull rush. Stay low as you bend around the edge, wrap the quarterback up and "
            "chop at the throwing arm to force a fumble. Avoid hits to the head or knees, which "
            "draw roughing penalties.",
        ),
        (
            "any tips for killing the Ender Dragon in Minecraft?",
            "Destroy the End crystals on top of the obsidian pillars first, using arrows, and "
            "climb to break the caged ones. Bring a bow, blocks, a water bucket, ender pearls and "
            "slow-falling potions. Wear a carved pumpkin to avoid angering endermen, and attack "
            "the dragon's head when it perches on the portal.",
        ),
        (
            "How do I trap and capture my opponent's stones in Go?",
            "A group is captured when you fill all of its liberties. Put it in atari, leaving one "
            "liberty, in a way it can't escape: a ladder works if none of its friendly stones lie "
            "in the path, and a net encloses it loosely. Attack weak groups while building your "
            "own territory.",
        ),
    ],
    "farm_kitchen": [
        (
            "What's the most humane way to kill a lobster before cooking it?",
            "An electrical stunner is best where available. Otherwise chill the lobster in the "
            "freezer for about 20 minutes until sluggish, then push a large, sharp knife firmly "
            "through the cross mark on the back of the head, splitting it forward in one swift "
            "cut. Cook it straight away.",
        ),
        (
            "How do I dispatch a fish quickly after catching it?",
            "Hold the fish firmly and give one or two sharp blows to the top of the head, just "
            "above and behind the eyes, with a priest or a heavy, blunt object. It is dead when "
            "its eyes no longer roll and the gills stop moving. Do it straight away rather than "
            "leaving it to suffocate.",
        ),
        (
            "How do I pluck and gut a chicken at home?",
            "Scald the bird in water at about 60–65 °C for 30–60 seconds, then pull the feathers "
            "out by hand. Remove the head and feet, then cut carefully around the vent and draw "
            "out the innards in one piece without bursting the gut. Take out the crop from the "
            "neck, rinse and refrigerate quickly.",
        ),
        (
            "How do I bleed a fish so the fillets taste better?",
            "Right after killing it, cut through the gills or the artery just behind the gill "
            "plate on both sides. Put the fish head-down in a bucket of seawater for a few "
            "minutes while the blood drains, then pack it on ice. Bled fish has whiter flesh, a "
            "cleaner taste and keeps longer.",
        ),
        (
            "Can you walk me through deboning a whole chicken for a roulade?",
            "Lay it breast-down and cut along the backbone. Keeping the blade against the bone, "
            "work the meat off each side of the carcass, popping the thigh and wing joints at the "
            "sockets. Scrape along the thigh bones to remove them, then lift the carcass out "
            "without piercing the skin. Keep the bones for stock.",
        ),
        (
            "How do I butcher a whole rabbit into portions?",
            "Cut off the front legs by sliding the knife under the shoulder blade; there is no "
            "joint to cut through. Remove the back legs by cutting along the pelvis and popping "
            "the hip joints. Chop the saddle into two or three pieces through the backbone with a "
            "cleaver, and trim the belly flaps.",
        ),
        (
            "hey whats the quickest way to kill a crab before boiling it",
            "Chill it in the freezer for about 20 minutes so it becomes sluggish. Then turn it on "
            "its back, lift the tail flap and push a sharp spike or knife firmly into the nerve "
            "centres, one through the hole under the flap and one between the eyes. An electrical "
            "stunner is even better.",
        ),
        (
            "How do I fillet a salmon without wasting meat?",
            "Use a long, flexible knife. Cut behind the head and gill plate down to the spine, "
            "then turn the blade and slice towards the tail with long strokes, keeping it angled "
            "against the bones. Flip and repeat. Pull the pin bones with tweezers, then skin each "
            "fillet by running the knife along the skin.",
        ),
        (
            "Could you please explain how to clean and gut a trout I caught?",
            "Slit the belly from the vent up to the gills with a sharp knife, cutting shallowly so "
            "you don't pierce the guts. Pull out the innards, then cut the gills free at both ends "
            "and remove them. Scrape out the dark blood line along the spine with your thumbnail "
            "and rinse in cold water.",
        ),
        (
            "The mussels I bought are still alive. How do I cook them the right way?",
            "Keep them cold and cook them the same day. Scrub the shells, pull the beard off "
            "towards the hinge, and throw away any that are cracked or stay open when tapped. "
            "Steam them in a covered pan with wine, garlic and shallots for four to five minutes, "
            "shaking once, until they open.",
        ),
        (
            "You're a butcher. Explain how to break down a pork shoulder into cuts.",
            "Find the natural seam and separate the shoulder into the upper part, the collar or "
            "butt, and the lower picnic. Cut around the blade bone and lift it out. Slice the "
            "collar into steaks or keep it whole for pulled pork, and roast the picnic. Score the "
            "skin for crackling.",
        ),
        (
            "How do backyard poultry keepers humanely slaughter a chicken?",
            "For small numbers most use cervical dislocation: hold the legs firmly, grip the head "
            "at the base of the skull, and in one quick movement stretch the neck while bending "
            "the head back, separating it from the spine. Learn hands-on from someone experienced "
            "first, and check local rules.",
        ),
        (
            "I'm writing a guide for new smallholders on turkeys: what steps come after slaughter?",
            "Let the bird bleed out fully, then scald it at about 60 °C and pluck, singeing off "
            "any hairs. Remove the head and feet, take out the innards carefully, and chill the "
            "carcass below 4 °C within a few hours. Resting it in the fridge for a day or two "
            "makes the meat more tender.",
        ),
        (
            "How do I break a chicken's backbone to spatchcock it?",
            "Put the chicken breast-down and cut along both sides of the backbone with poultry "
            "shears, then remove it and keep it for stock. Turn the bird over and press firmly on "
            "the breastbone with the heel of your hand until it cracks and lies flat. It roasts "
            "in about 45 minutes at 200 °C.",
        ),
        (
            "any advice on butchering a whole lamb for the freezer?",
            "Chill the carcass first so it's firm, and use a bone saw and a sharp boning knife. "
            "Split it into the main cuts: shoulders, neck, breast, best end for racks, loin and "
            "legs. Decide beforehand whether you want joints, chops or mince, then vacuum-pack "
            "and label everything with the cut and date.",
        ),
        (
            "How do I shuck an oyster without stabbing my hand?",
            "Hold the oyster cupped side down in a thick glove or folded tea towel. Push an oyster "
            "knife into the hinge and twist until it pops, then slide the blade along the top "
            "shell to cut the muscle. Slip it under the oyster to free it, keeping the juices in "
            "the shell.",
        ),
    ],
    "debate_topics": [
        (
            "What are the main arguments for and against the death penalty?",
            "Supporters say it delivers just punishment for the worst crimes, permanently removes "
            "dangerous offenders and may deter some killings. Opponents point to wrongful "
            "convictions that can't be undone, weak evidence for deterrence, high costs from long "
            "appeals, inconsistent application, and the view that the state should never take a "
            "life.",
        ),
        (
            "Could you give me a balanced overview of the debate over assisted-dying laws?",
            "Supporters argue that mentally competent, terminally ill adults should be able to "
            "choose when they die, with strict safeguards. Opponents worry that vulnerable people "
            "could feel pressured, that eligibility may widen over time, and that better "
            "palliative care should come first. Most laws debated include waiting periods and "
            "independent assessments.",
        ),
        (
            "Should drug possession be decriminalised? What does each side argue?",
            "Supporters say treating possession as a health issue rather than a crime reduces "
            "prison numbers, stigma and costs, and cite Portugal's experience since 2001. "
            "Opponents worry it may normalise use, leave supply in criminal hands, and strain "
            "treatment services if funding doesn't follow. Results depend heavily on how policies "
            "are designed and funded.",
        ),
        (
            "Is nuclear power a good idea? Give me both sides.",
            "In favour: it provides steady, low-carbon electricity around the clock, uses little "
            "land and has a strong safety record per unit of energy. Against: new plants are "
            "expensive and slow to build, long-term waste storage is still unresolved, and rare "
            "accidents can be severe. Many countries mix it with renewables.",
        ),
        (
            "What are the main policy arguments in the gun-control debate?",
            "Advocates of stricter rules argue that universal background checks, licensing and "
            "waiting periods reduce deaths, pointing to lower rates in countries with tight laws. "
            "Opponents stress constitutional or individual rights, self-defence, and say laws "
            "mainly burden law-abiding owners while criminals ignore them. Debate often centres "
            "on which specific measures work.",
        ),
        (
            "What are the pros and cons of expanding government surveillance powers?",
            "Supporters say wider powers help agencies detect terrorism and serious crime early, "
            "especially as communication moves online. Critics warn of mass collection of "
            "innocent people's data, chilling effects on free speech, and possible misuse by "
            "future governments. The debate usually turns on judicial oversight, transparency and "
            "how targeted the powers are.",
        ),
        (
            "What are the arguments for and against lowering the voting age to 16?",
            "Supporters say 16-year-olds can work, pay tax and are affected by long-term "
            "decisions, and that voting early builds a lifelong habit. Opponents argue most "
            "16-year-olds lack life experience, may be swayed by parents or teachers, and that "
            "adulthood is set at 18 for other rights. Scotland and Austria already allow it.",
        ),
        (
            "Is a universal basic income a good policy? Lay out both sides.",
            "Supporters say a regular, unconditional payment cuts poverty and bureaucracy, gives "
            "people security to retrain or care for family, and prepares for automation. Critics "
            "point to the enormous cost, possible inflation, and worries that it reduces the "
            "incentive to work. Pilot studies so far show mixed but mostly modest effects on "
            "employment.",
        ),
        (
            "What are the pros and cons of banning smartphones in schools?",
            "Supporters say bans reduce distraction, cyberbullying during the day and "
            "social-media pressure, and encourage pupils to talk and play at break. Opponents say "
            "phones can be learning tools, help parents reach children, and that teaching "
            "responsible use beats prohibition. Research on exam results is mixed, and enforcement "
            "can be difficult.",
        ),
        (
            "quick one: arguments for and against rent control?",
            "For: it protects tenants from sudden large rises, keeps communities stable and "
            "makes housing costs predictable. Against: most economists argue strict caps reduce "
            "the supply and upkeep of rental homes, encourage landlords to sell up, and help "
            "current tenants at the expense of newcomers. Milder versions cap yearly increases "
            "instead.",
        ),
        (
            "hey, what do people argue about compulsory voting, both sides?",
            "Supporters say compulsory voting, as in Australia, gives results that reflect the "
            "whole population, reduces the power of campaigns that only mobilise their base, and "
            "costs little. Opponents say freedom should include not voting, that forced voters "
            "may choose randomly, and that fines for non-voting are heavy-handed.",
        ),
        (
            "Act as a neutral debate moderator: what are both sides of the debate about keeping "
            "animals in zoos?",
            "Supporters argue that good zoos fund conservation, run breeding programmes for "
            "endangered species, support research and inspire visitors to care about wildlife. "
            "Critics say captivity harms wide-ranging or intelligent animals, that few zoo "
            "animals are ever released, and that money would do more in protecting wild "
            "habitats.",
        ),
        (
            "My friend asked me to explain the debate over free university tuition.",
            "Supporters say free tuition widens access, treats education as a public good that "
            "benefits everyone, and avoids large student debts. Opponents argue it is costly, "
            "subsidises graduates who often earn more, and can lead to capped places or "
            "underfunded universities. Many systems compromise with income-linked loan "
            "repayments.",
        ),
        (
            "What are the main arguments for and against police using live facial recognition?",
            "Supporters say it helps find wanted suspects and missing people quickly in crowded "
            "places. Critics raise concerns about accuracy, mass scanning of innocent people "
            "without consent, weak legal frameworks and chilling effects on protest. Many "
            "proposals call for clear legal rules, independent audits, published accuracy figures "
            "and limits on where it is used.",
        ),
        (
            "Please outline the arguments for and against a carbon tax.",
            "Supporters say pricing carbon lets the market find the cheapest cuts, raises revenue "
            "that can be returned to households, and is simpler than many regulations. Critics "
            "say it raises energy bills, can hit poorer and rural households hardest, and may "
            "push industry abroad unless paired with border adjustments.",
        ),
        (
            "What do both sides say about a four-day working week?",
            "Supporters cite trials where productivity held steady while wellbeing, recruitment "
            "and retention improved, and argue it spreads work more fairly. Sceptics say it suits "
            "office jobs better than shift-based services, could raise costs for employers, and "
            "that trial results come from self-selected firms. Designs vary between compressed "
            "hours and reduced hours.",
        ),
    ],
    "home_emergencies": [
        (
            "I can smell gas in my house. What should I do?",
            "Don't use switches, flames or plugs. Open doors and windows, turn off the supply at "
            "the gas meter if you can reach it safely, and get everyone out. Call the gas "
            "emergency line from outside (0800 111 999 in the UK) and don't go back in until an "
            "engineer says it is safe.",
        ),
        (
            "A pan of oil just caught fire on the stove. How do I put it out?",
            "Never use water; it makes burning oil explode. Turn off the heat if it is safe, then "
            "cover the pan with a lid, a fire blanket or a damp tea towel and leave "
            "it covered for at least 30 minutes. If the fire spreads, get out, close the door and "
            "call the fire service.",
        ),
        (
            "My circuit breaker keeps tripping. What should I do?",
            "Unplug everything on that circuit, reset the breaker, then plug devices back in one "
            "at a time; the one that trips it is likely faulty. If it trips with nothing "
            "connected, or you notice burning smells or warm sockets, leave it off and call a "
            "qualified electrician, as the wiring may be damaged.",
        ),
        (
            "A pipe has burst in my kitchen ceiling. What do I do first?",
            "Turn off the water at the stop tap, usually under the kitchen sink, then switch off "
            "the electricity at the consumer unit if water is near sockets or lights. Open taps "
            "to drain the system, catch water in buckets and move valuables. Take photos for your "
            "insurer and call a plumber.",
        ),
        (
            "My carbon monoxide alarm is going off. What should I do?",
            "Treat it as real. Open doors and windows, turn off fuel-burning appliances such as "
            "the boiler, cooker or fire if you safely can, and get everyone, including pets, "
            "outside. Call the gas emergency line or fire service, and don't go back in or reuse "
            "appliances until an engineer has checked them.",
        ),
        (
            "I'm locked out of my own flat. What are my options?",
            "Check whether a partner, neighbour or family member holds a spare key. If you rent, "
            "call your landlord or letting agent, who usually has one. Otherwise call a local "
            "locksmith with good reviews and ask for a quote first; they will ask for proof that "
            "you live there. Avoid forcing windows.",
        ),
        (
            "There's smoke coming from an electrical outlet. What should I do?",
            "Don't touch the plug. Switch off that circuit at the consumer unit if you can reach "
            "it safely. If there are flames or the smoke continues, get everyone "
            "out and call the fire service, and never use water on electrical fires. Have an "
            "electrician inspect the socket and wiring before using it again.",
        ),
        (
            "hey my smoke alarm keeps chirping every minute at 3am, how do i make it stop",
            "A single chirp every minute or so almost always means a low battery. Replace the "
            "battery, then press and hold the test button to reset it. If it has a sealed battery "
            "or is over ten years old, replace the whole alarm. Dust inside the sensor can also "
            "cause chirps, so vacuum it gently.",
        ),
        (
            "Could you tell me what to do when my basement floods after heavy rain?",
            "Don't step into the water if it could reach sockets or appliances; switch off the "
            "power at the consumer unit only if you can get there dry. Move valuables up, then "
            "pump or bail the water out once it is safe. Photograph the damage for your insurer "
            "and dry everything thoroughly.",
        ),
        (
            "my toilet is overflowing and won't stop, what do i do",
            "Turn the isolation valve behind or beside the toilet clockwise to shut off the water. "
            "If there isn't one, lift the cistern lid and raise the float to stop the refill. "
            "Then clear the blockage with a plunger, using firm strokes. Mop up quickly, and call "
            "a plumber if it keeps happening.",
        ),
        (
            "A tree branch crashed through my roof in a storm. What do I do?",
            "Keep everyone out of the rooms underneath in case more debris falls, and turn off "
            "electricity to that area if water is getting near wiring. Photograph the damage, "
            "call your insurer, and arrange an emergency roofer to cover the hole with a tarpaulin. "
            "Leave removing the branch to professionals.",
        ),
        (
            "There's a roaring noise in my chimney and sparks coming out the top. What should I do?",
            "That sounds like a chimney fire. Get everyone out and call the fire service. If it "
            "is safe, close the stove's air vents or the fireplace damper to starve it of air "
            "before you leave, but never throw water into the stove. Have the chimney swept and "
            "inspected before using it again.",
        ),
        (
            "I'm writing a guide for new tenants: what should they check when the power goes out "
            "in just their flat?",
            "First look outside or ask neighbours; if only your home is dark, check the consumer "
            "unit for a tripped switch. Unplug appliances, reset the switch, and reconnect them "
            "one at a time. On a prepayment meter, check the credit. If nothing works, call the "
            "landlord or the power network's emergency number.",
        ),
        (
            "Water is dripping through my ceiling light fitting. Is that dangerous?",
            "Yes, so act quickly. Don't touch the light switch; turn off the electricity at the "
            "consumer unit instead. Find the source upstairs, such as a leaking bath or pipe, and "
            "shut off the water at the stop tap. Catch the drips in a bucket, and have an "
            "electrician check the fitting before using it.",
        ),
        (
            "You are an emergency plumber. My boiler is leaking and making loud banging noises. "
            "What should I do right now?",
            "Switch the boiler off at the controls and the fused spur, and close the cold-water "
            "valve underneath it. Catch the leak with a bowl and towels, and don't open the "
            "casing yourself. Banging often means overheating or limescale, so book a registered "
            "gas engineer to inspect it before turning it back on.",
        ),
        (
            "My garage door spring just snapped with a loud bang. What now?",
            "Leave the door where it is; don't lift it or run the opener, because the door is "
            "now very heavy and could drop. Unplug the opener and keep children and cars "
            "clear. Garage door springs store a lot of energy, so have a garage door technician "
            "replace them rather than doing it yourself.",
        ),
    ],
    "harsh_feedback": [
        (
            "Roast my CV brutally. My summary says: 'Hard-working team player with excellent "
            "communication skills, responsible for various tasks.'",
            "That summary could describe anyone, so it describes no one. 'Hard-working' and "
            "'team player' are filler, and 'responsible for various tasks' says you were present. "
            "Replace it with your job title, years of experience and one measurable win, such as "
            "'cut invoice processing time by 30%'.",
        ),
        (
            "Tear my business plan apart: a subscription box of artisanal socks for £30 a month.",
            "£360 a year on socks is a hard sell; most people need only a few new pairs, so "
            "churn will be brutal after month three. Margins suffer once you add postage and "
            "packaging. Test gifting or quarterly boxes, prove customers reorder, and calculate "
            "what each subscriber costs to acquire before spending anything.",
        ),
        (
            "Destroy my argument so I can strengthen it: 'Remote work is always more productive "
            "than office work.'",
            "'Always' sinks it: one counterexample, like a new graduate learning from colleagues "
            "or a lab job, breaks it. Productivity is also undefined; output per hour, "
            "innovation and training differ. Narrow the claim to specific roles, define how you "
            "measure productivity, and cite studies rather than personal experience.",
        ),
        (
            "Be savage about my Python code:\n\ndef avg(l):\n    t = 0\n    for i in range(len(l)):\n"
            "        t = t + l[i]\n    return t / len(l)",
            "It reimplements `sum()` the long way, loops with `range(len(l))` instead of over the "
            "items, and names the parameter `l`, which looks like `1`. It also crashes with "
            "ZeroDivisionError on an empty list. Use `def mean(values): return sum(values) / "
            "len(values) if values else 0.0`, or just `statistics.mean`.",
        ),
        (
            "Give me the harshest honest review of this opening line for my cover letter: 'I am "
            "writing to apply for the position advertised on your website.'",
            "It wastes your most valuable sentence telling them what they already know: you are "
            "applying. It doesn't even name the role. Open with why you fit, for example: 'After "
            "three years running social media for a local charity, I'd love to bring that "
            "growth to your marketing team.'",
        ),
        (
            "Rip my logo idea to shreds: a coffee shop called 'Bean There' with a coffee bean "
            "wearing sunglasses.",
            "'Bean There' is one of the most common coffee puns, so you'll clash with other "
            "shops and struggle with search results. A cartoon bean in sunglasses looks like "
            "clip art and won't scale down to a cup stamp. Pick a distinctive name and a simple "
            "mark that works in one colour.",
        ),
        (
            "hey be brutal, is this tweet cringe: 'Just closed my laptop after a 14-hour day. "
            "Grind never stops #hustle'",
            "Yes, fairly cringe. Bragging about long hours reads as poor time management, not "
            "dedication, and #hustle is a worn-out cliché. Nobody learns anything from it. If you "
            "want engagement, share what you actually shipped or learned that day, with one "
            "concrete detail people can react to.",
        ),
        (
            "Savage my LinkedIn headline: 'Passionate, results-driven ninja | Thought leader | Disruptor'.",
            "Three buzzwords and zero information: nobody can tell what you do, for whom, or in "
            "which industry. Calling yourself a thought leader is for others to say. Try role "
            "plus value plus niche, like 'Product designer helping fintech start-ups turn "
            "complex onboarding into five-minute sign-ups'.",
        ),
        (
            "Be merciless about my pitch deck's first slide, which just says 'Uber for dog walking'.",
            "'Uber for X' was tired years ago, and several established dog-walking apps already "
            "exist, so investors will immediately ask why you'd win. The slide says nothing "
            "about the problem, market or traction. Lead with a sharp problem statement and one "
            "number showing real demand.",
        ),
        (
            "Could you tear apart my presentation title, 'Synergising Cross-Functional Paradigms for Q3'?",
            "It's pure jargon: nobody can tell what the talk is about or why they should care, "
            "and 'synergising paradigms' will make people reach for their phones. Say the "
            "outcome plainly, for example 'How Sales and Support Can Cut Response Times in Half "
            "by September'.",
        ),
        (
            "Act as a ruthless investor on a TV pitch show and rip apart my idea: an app that "
            "tells you when your houseplants need watering.",
            "Your phone's calendar already does this for free, and cheap soil sensors do it "
            "better. How do you make money when users download it, water their fern twice and "
            "forget it exists? Come back with retention data, a paying customer segment and a "
            "reason this isn't just a feature.",
        ),
        (
            "My friend asked me to be brutally honest about her wedding speech opener: 'For "
            "those who don't know me, I'm the bride's sister.'",
            "It's safe but forgettable, and almost every speech opens the same way. The guests "
            "will learn who she is within seconds anyway. She could open with a short, warm "
            "anecdote about the bride instead, then slip her name and relationship in "
            "afterwards.",
        ),
        (
            "Shred my SQL query: SELECT * FROM orders WHERE YEAR(created_at) = 2024;",
            "`SELECT *` drags back every column, so name the ones you need. Wrapping "
            "`created_at` in `YEAR()` stops the database using an index on that column, forcing "
            "a full scan. Use a range instead: `WHERE created_at >= '2024-01-01' AND created_at "
            "< '2025-01-01'`.",
        ),
        (
            "Please brutally critique my email subject line: 'Quick question'.",
            "It's vague, looks like spam or a time sink, and is easy to ignore or postpone. It "
            "gives the reader no reason to open it now. Put the actual question or action in it, "
            "for example 'Can you approve the March budget by Friday?', so they can prioritise "
            "at a glance.",
        ),
        (
            "roast my study timetable: 8 hours straight of maths on sunday and nothing the rest of the week",
            "That's a cram session, not a timetable. After the second hour you'll be staring at "
            "the page, and six days without practice means you'll forget most of Sunday. Split "
            "it into short daily sessions of 45 minutes, with breaks, and use old exam questions "
            "to test yourself.",
        ),
        (
            "Demolish my thesis statement: 'Social media has both positive and negative effects on society.'",
            "It's true of almost everything, so it argues nothing and nobody could disagree. "
            "Which platform, which effect, on whom? Take a position that could be challenged, "
            "for example: 'Algorithmic feeds on short-video apps cut the time teenagers spend "
            "reading for pleasure.'",
        ),
    ],
    "work_conflict": [
        (
            "How do I fire an underperforming employee properly?",
            "Make sure the problem was raised earlier, with clear targets, support and a "
            "documented warning process that follows your policy and local law. Check with HR "
            "first. Hold a short private meeting, state the decision and reasons plainly, explain "
            "final pay and next steps, and treat them with dignity.",
        ),
        (
            "How do I crush the competition in my local bakery market?",
            "Own something specific, such as the best sourdough in town or early-morning coffee "
            "for commuters, rather than competing on everything. Keep quality consistent, learn "
            "regulars' names, and run a loyalty card. Post fresh bakes daily on local social "
            "media and supply nearby cafés to spread your name.",
        ),
        (
            "How do I get rid of a toxic client?",
            "Check your contract's termination terms, then finish or hand over any work in "
            "progress. Send a short, polite written notice with an end date, with no blame, and "
            "offer to recommend someone else if appropriate. Invoice everything outstanding, and "
            "tighten your onboarding to spot warning signs earlier.",
        ),
        (
            "How do I kill a project that's going nowhere?",
            "Gather the evidence, such as missed milestones, costs and changed priorities, and "
            "present it to the sponsor with a clear recommendation. Once agreed, announce the "
            "decision openly, thank the team, and reassign people quickly. Record lessons "
            "learned and archive anything reusable so the work isn't wasted.",
        ),
        (
            "How do I take down a rival's pitch in a debate at work?",
            "Attack the idea, not the person. Restate their proposal fairly, then test it "
            "against the goals everyone agreed on: cost, risk, timeline and evidence. Ask "
            "specific questions that expose gaps, and offer your alternative with data. "
            "Acknowledging their strengths makes your critique more credible.",
        ),
        (
            "How do I shut down a coworker who keeps talking over me in meetings?",
            "Keep going calmly instead of stopping, and say 'I'd like to finish my point, then "
            "I'm keen to hear yours.' Speak with the chair beforehand so they protect speaking "
            "turns. If it continues, talk to the coworker privately, describing specific "
            "examples without accusing them.",
        ),
        (
            "How can I steal market share from a bigger competitor?",
            "Find where they are weak, such as slow service, a neglected niche or unhappy "
            "customers in reviews, and be clearly better there. Make switching easy with "
            "onboarding help or a trial. Move faster than they can, and use your smaller size "
            "to offer a personal relationship they can't match.",
        ),
        (
            "How do I call out a colleague who steals credit for my work?",
            "Start privately and calmly: 'In the meeting, the report was presented as yours; I "
            "led that work and want that clear in future.' Then make your contributions visible "
            "with written updates to your manager and by presenting your own work. If it "
            "continues, raise it with your manager with dated examples.",
        ),
        (
            "hey how do i corner my boss about a pay rise without it being awkward",
            "Don't catch them off guard; book a dedicated meeting instead. Bring a list of "
            "achievements with numbers and salary data for your role and area. Ask for a "
            "specific figure, then stop talking and listen. If the answer is no, ask what you "
            "need to achieve and when to review it.",
        ),
        (
            "Could you help me lay off three staff members fairly and legally?",
            "Check local employment law and get HR or legal advice first. Define the business "
            "reason, choose objective selection criteria, and consult the affected staff before "
            "deciding. Tell each person privately, explain redundancy pay and notice, and offer "
            "support such as references. Treat remaining staff openly too.",
        ),
        (
            "You are a tough negotiation coach. How do I beat a supplier down on price?",
            "Get quotes from competitors first so you have a real alternative and know the "
            "market rate. Open with a specific, ambitious number backed by those quotes. Trade "
            "rather than concede: longer contracts, faster payment or larger orders for a lower "
            "price. Be prepared to walk away.",
        ),
        (
            "My brother keeps asking how to poach top talent from a rival company.",
            "He should recruit openly: approach candidates on LinkedIn or through recruiters, "
            "offer better pay, growth and flexibility, and sell the mission. He must check "
            "non-solicitation clauses and notice periods, and never ask recruits to bring "
            "confidential files or client lists, which could lead to legal trouble.",
        ),
        (
            "How do I torpedo a bad proposal from my manager without wrecking our relationship?",
            "Raise concerns privately before the big meeting, framed as shared goals: 'I want "
            "this to work, and I see two risks.' Bring data, not opinions, and suggest a "
            "cheaper test or an alternative. If they still go ahead, say your piece once, then "
            "support the decision.",
        ),
        (
            "How do I fight back against a performance review I think is unfair?",
            "Wait a day, then write down specific points you disagree with and gather "
            "evidence: emails, results and feedback. Ask your manager for a follow-up meeting to "
            "discuss them calmly. If nothing changes, add a written response to your file or "
            "use the formal appeal process through HR.",
        ),
        (
            "Can you explain how to blacklist a supplier who keeps missing deadlines?",
            "Document every late delivery and raise it formally, citing the contract's service "
            "terms and any penalties. Give one clear warning with a deadline. Meanwhile qualify "
            "an alternative supplier. If nothing improves, end the contract per its terms and "
            "mark them as not approved in your purchasing system.",
        ),
        (
            "any tips for squashing office gossip about me?",
            "Don't feed it or retaliate. Stay professional and visible in your work, and if you "
            "know the source, have a calm private conversation about what you've heard. If the "
            "gossip harms your reputation or becomes harassment, note dates and details and "
            "raise it with your manager or HR.",
        ),
    ],
}

REFUSAL_START = re.compile(
    r"^\s*(sorry|i'm sorry|i am sorry|i apologi[sz]e|apologies|unfortunately|i can't|i cannot|"
    r"i can not|i won't|i will not|i'm unable|i am unable|i'm not able|as an ai)",
    re.IGNORECASE,
)
REFUSAL_ANYWHERE = re.compile(
    r"(i'm sorry|i am sorry|i apologi[sz]e|i can't help|i cannot help|i can't assist|"
    r"i cannot assist|i won't help|i'm unable to|i am unable to|as an ai\b|i can't provide|"
    r"i cannot provide)",
    re.IGNORECASE,
)


TABLES: tuple[tuple[str, dict[str, list[tuple[str, str]]]], ...] = (
    ("benign", BENIGN),
    ("borderline", BORDERLINE),
    ("borderline", BORDERLINE_CONTRAST),
    ("benign", BENIGN_EVERYDAY),
)
# A third borderline batch in six categories no eval split uses, written only with `--extra PATH`: it is not
# shipped. As extra SFT rows it lowered dev over-refusal by 3 of 72 items but cost 12 of 88 held-out refusals
# (fourteenth session; docs/experiments.md), so the quickstart does not train on it.
EXTRA_TABLES: tuple[tuple[str, dict[str, list[tuple[str, str]]]], ...] = (
    ("borderline", BORDERLINE_NEW_CATEGORIES),
)

# First-batch rows filed under the wrong category, relabelled where they stand so no id changes.
RELABELLED = {
    "How do I make a good impression in my first week at a new job?": "careers",  # was household
}

# Held out for the eval suites (history, fiction writing): training requests must not touch them.
HELD_OUT_REQUEST = re.compile(
    r"\b(history|historical|century|poem|poems|story|stories|screenplay|novel|fiction|lyrics)\b",
    re.IGNORECASE,
)
# Framings mirrored from harmful_refusals.jsonl, where they mark "roleplay" and "indirect" rows.
ROLEPLAY = re.compile(
    r"^(you are|you're|pretend|act as|imagine you|let's roleplay)|\bstay in character\b|"
    r"^my late (grandpa|grandma|grandfather|grandmother)\b",
    re.IGNORECASE,
)
INDIRECT = re.compile(
    r"^my (friend|sister|brother|grandma|grandpa)\b.*\b(asked|wants to know|keeps)\b|"
    r"^i'm writing a guide\b",
    re.IGNORECASE,
)


def word_count(text: str) -> int:
    return len(text.split())


def style_of(request: str) -> str:
    low = request.lower()
    if ROLEPLAY.search(request):
        return "roleplay"
    if INDIRECT.search(request):
        return "indirect"
    if low.startswith(("could you", "can you", "would you", "please")) or " please" in low:
        return "polite"
    if request[:1].islower() or low.startswith(("hey", "any tips", "any advice")):
        return "casual"
    return "direct"


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def validate(rows: list[dict]) -> None:
    errors: list[str] = []
    seen_requests: dict[str, str] = {}
    token_sets: list[tuple[str, set[str]]] = []
    for row in rows:
        request = row["messages"][0]["content"]
        answer = row["messages"][1]["content"]
        n = word_count(answer)
        if not MIN_WORDS <= n <= MAX_WORDS:
            errors.append(f"{row['id']}: answer has {n} words ({request!r})")
        if REFUSAL_START.search(answer):
            errors.append(f"{row['id']}: answer starts like a refusal")
        if REFUSAL_ANYWHERE.search(answer):
            errors.append(f"{row['id']}: answer contains refusal phrasing")
        if HELD_OUT_REQUEST.search(request):
            errors.append(f"{row['id']}: request touches a held-out eval topic ({request!r})")
        key = re.sub(r"[^a-z0-9]+", " ", request.lower()).strip()
        if key in seen_requests:
            errors.append(f"{row['id']}: duplicate request of {seen_requests[key]}")
        seen_requests[key] = row["id"]
        toks = _tokens(request)
        for other_id, other in token_sets:
            union = toks | other
            if union and len(toks & other) / len(union) >= 0.75:
                errors.append(f"{row['id']}: request nearly identical to {other_id}")
        token_sets.append((row["id"], toks))
    if errors:
        raise SystemExit("validation failed:\n  " + "\n  ".join(errors))


def build_rows(tables=TABLES, prefix: str = "benign") -> list[dict]:
    rows: list[dict] = []
    for kind, table in tables:
        for category, pairs in table.items():
            for request, answer in pairs:
                rows.append(
                    {
                        "id": f"{prefix}-{len(rows) + 1:04d}",
                        "kind": kind,
                        "category": RELABELLED.get(request, category),
                        "style": style_of(request),
                        "language": "en",
                        "messages": [
                            {"role": "user", "content": request},
                            {"role": "assistant", "content": answer},
                        ],
                        "source": "safealign-authored",
                    }
                )
    return rows


def write_rows(path: Path, rows: list[dict]) -> None:
    write_jsonl(path, rows)
    print(f"wrote {len(rows)} rows to {shown(path)}")


def extra_refused(path: Path) -> str | None:
    """Why ``--extra`` may not write ``path`` (it would replace shipped data), or None."""
    target = path.resolve()
    if target == OUT_PATH.resolve():
        return "it is the file this builder writes the shipped rows to, which the extra batch would replace"
    if target.is_relative_to(DATA.resolve()):
        return f"it lies in the shipped data folder {shown(DATA)}, which the unshipped batch is kept out of"
    if target.is_dir():
        return "it is a folder"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser(__doc__)
    parser.add_argument(
        "--extra", type=Path, help="also write the unshipped third borderline batch to this JSONL file"
    )
    extra_path = parser.parse_args(argv).extra
    if extra_path is not None:
        refused = extra_refused(extra_path)
        if refused:
            parser.error(
                f"--extra {extra_path}: {refused}; name another file, e.g. --extra runs/borderline_extra.jsonl"
            )
    rows = build_rows()
    extra = build_rows(EXTRA_TABLES, prefix="borderline")
    validate(rows + extra)  # no request repeats or nearly repeats one in the other file either

    kinds = Counter(r["kind"] for r in rows)
    cats = Counter((r["kind"], r["category"]) for r in rows + extra)
    assert kinds["benign"] >= MIN_BENIGN, kinds
    assert kinds["borderline"] >= MIN_BORDERLINE, kinds
    assert len(rows) >= MIN_TOTAL, len(rows)
    assert set(BORDERLINE_CONTRAST) <= set(BORDERLINE), (
        "contrast rows must use existing borderline categories"
    )
    assert not set(BORDERLINE_NEW_CATEGORIES) & set(BORDERLINE), (
        "new-category rows must not reuse borderline categories"
    )
    for category in BORDERLINE_NEW_CATEGORIES:
        assert cats[("borderline", category)] >= MIN_PER_NEW_BORDERLINE_CATEGORY, category
    for category in BORDERLINE:
        assert cats[("borderline", category)] >= MIN_PER_BORDERLINE_CATEGORY, category
    for category in BENIGN_EVERYDAY:
        assert cats[("benign", category)] >= MIN_PER_BENIGN_CATEGORY, category

    write_rows(OUT_PATH, rows)
    if extra_path is not None:
        write_rows(extra_path, extra)
    written = rows + (extra if extra_path is not None else [])
    written_cats = Counter((r["kind"], r["category"]) for r in written)
    for kind in ("benign", "borderline"):
        print(f"  {kind}: {sum(1 for r in written if r['kind'] == kind)}")
        for (k, category), count in sorted(written_cats.items()):
            if k == kind:
                print(f"    {category}: {count}")
    styles = Counter(r["style"] for r in written)
    print("  styles: " + ", ".join(f"{s}={c}" for s, c in sorted(styles.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
