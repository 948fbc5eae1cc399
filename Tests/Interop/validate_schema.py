#!/usr/bin/env python3
"""Validates Barrage JSON documents against one of the published JSON Schemas (draft 2020-12).

  validate_schema.py SCHEMA FILE...

Checks the schema itself first, then every FILE against it, and prints one line per error:
  FILE: PATH: MESSAGE
where PATH is the JSON path of the offending value ($ for the document itself).

Exit status: 0 when every file is valid; 1 when any file is invalid or unreadable (each error printed); 2 on bad usage
or an unusable schema; 3 when the `jsonschema` package cannot be imported (tests skip on 3).
Schemas are self-contained: nothing is fetched, `$id` is only an identifier.
"""
import json
import sys


def json_path(error):
    path = "$"
    for part in error.absolute_path:
        path += "[%d]" % part if isinstance(part, int) else ".%s" % part
    return path


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError
    except ImportError as error:
        print("validate_schema.py: the jsonschema package is not importable (%s); install it with "
              "`pip install jsonschema`" % error, file=sys.stderr)
        return 3

    schema_path = argv[1]
    try:
        schema = load(schema_path)
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError) as error:
        print("%s: cannot read the schema: %s" % (schema_path, error), file=sys.stderr)
        return 2
    except SchemaError as error:
        print("%s: not a valid draft 2020-12 schema: %s" % (schema_path, error.message), file=sys.stderr)
        return 2
    validator = Draft202012Validator(schema)

    failed = False
    for path in argv[2:]:
        try:
            document = load(path)
        except (OSError, ValueError) as error:
            print("%s: cannot read: %s" % (path, error))
            failed = True
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            print("%s: %s: %s" % (path, json_path(error), error.message))
        if errors:
            failed = True
        else:
            print("%s: valid" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
