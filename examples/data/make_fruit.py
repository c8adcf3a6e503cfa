#!/usr/bin/python3
"""Writes fruit.csv, a small made-up data set for the CSV classification example (examples/fruit-csv.json).

Three classes with string labels; three numeric features in different units, so that the example
needs its "standardize" scaling. Seeded: running it again writes the same file.
"""
import random

random.seed(7)
FRUIT = {  # mean weight (g), mean diameter (cm), mean sweetness (°Brix)
    "apple": (180, 7.5, 13.0),
    "orange": (200, 8.0, 10.0),
    "lemon": (110, 6.0, 2.5),
}
rows = []
for i in range(300):
    name = list(FRUIT)[i % 3]
    weight, diameter, sweetness = FRUIT[name]
    rows.append((round(random.gauss(weight, 25), 1), round(random.gauss(diameter, 0.6), 2),
                 round(random.gauss(sweetness, 1.5), 2), name))
with open("fruit.csv", "w") as f:
    f.write("weight_g,diameter_cm,sweetness_brix,label\n")
    for row in rows:
        f.write(",".join(str(v) for v in row) + "\n")
