#!/usr/bin/python3
"""summary.py -- add up meson's and pytest's results into one closing
line, "N passed, N failed", from the files scripts/test.sh collects."""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET


def main(folder):
    passed = failed = skipped = 0
    for f in sorted(pathlib.Path(folder).glob('meson-*.json')):
        for line in f.read_text().splitlines():
            r = json.loads(line).get('result')
            if r in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif r == 'SKIP':
                skipped += 1
            else:
                failed += 1
    for f in sorted(pathlib.Path(folder).glob('e2e-*.xml')):
        for suite in ET.parse(f).getroot().iter('testsuite'):
            t = int(suite.get('tests', 0))
            bad = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
            s = int(suite.get('skipped', 0))
            passed += t - bad - s
            failed += bad
            skipped += s
    print(f'{passed} passed, {failed} failed' +
          (f', {skipped} skipped' if skipped else ''))
    return 1 if failed or passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
