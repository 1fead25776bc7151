#!/usr/bin/env python3
"""Validates documents retort printed with --json against the schemas of docs/reference/json/.

Usage: validate_json.py SCHEMA_DIR NAME DOCUMENT [NAME DOCUMENT ...]
NAME is a schema file's name without .schema.json (upgrade, error, ...). Every schema in
SCHEMA_DIR is checked first as a JSON Schema (draft 2020-12); then each document against its
schema, relative $refs ("common.schema.json#/$defs/...") resolved among the files of the
directory. Prints one line per problem and exits 1 when there is any; 0 otherwise.

Works with python3-jsonschema 4.10 (Debian 12: RefResolver) and with newer releases
(the referencing library).
"""
import json
import os
import sys
import warnings

import jsonschema

BASE = "https://retort.invalid/json/"


def load_schemas(directory):
    schemas = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".schema.json"):
            with open(os.path.join(directory, name), encoding="utf-8") as stream:
                schemas[name] = json.load(stream)
    return schemas


def validator_for(schemas, name):
    schema = dict(schemas[name + ".schema.json"], **{"$id": BASE + name + ".schema.json"})
    cls = jsonschema.Draft202012Validator
    try:
        import referencing  # jsonschema 4.18 and newer

        registry = referencing.Registry().with_resources(
            (BASE + file, referencing.Resource.from_contents(dict(contents, **{"$id": BASE + file})))
            for file, contents in schemas.items())
        return cls(schema, registry=registry)
    except ImportError:
        store = {BASE + file: dict(contents, **{"$id": BASE + file})
                 for file, contents in schemas.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver(BASE + name + ".schema.json", schema, store=store)
        return cls(schema, resolver=resolver)


def main(argv):
    if len(argv) < 2 or len(argv) % 2 != 0:
        print(__doc__, file=sys.stderr)
        return 2
    schemas = load_schemas(argv[1])
    problems = []
    for file, schema in schemas.items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as error:
            problems.append(f"{file}: not a valid schema: {error.message}")
    for name, document in zip(argv[2::2], argv[3::2]):
        if name + ".schema.json" not in schemas:
            problems.append(f"{document}: no schema {name}.schema.json in {argv[1]}")
            continue
        try:
            with open(document, encoding="utf-8") as stream:
                instance = json.load(stream)
        except ValueError as error:
            problems.append(f"{document} ({name}): not one JSON document: {error}")
            continue
        validator = validator_for(schemas, name)
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(part) for part in error.absolute_path) or "(top)"
            # A oneOf message repeats the whole document: say which choices failed instead.
            message = (f"matches none of its {error.validator} choices"
                       if error.validator in ("oneOf", "anyOf") else error.message)
            problems.append(f"{document} ({name}) at {where}: {message}")
            # oneOf failures hide the reason: name the closest branch's errors too.
            for sub in sorted(error.context or [], key=lambda e: list(e.absolute_path))[:6]:
                sub_where = "/".join(str(part) for part in sub.absolute_path) or "(top)"
                problems.append(f"    at {sub_where}: {sub.message}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
