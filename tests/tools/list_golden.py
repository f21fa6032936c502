#!/usr/bin/env python3
"""list_golden.py DIR... — print every golden program (an .apy with an .out) below DIRs, sorted."""
import os
import sys

for d in sys.argv[1:]:
    for root, dirs, files in sorted(os.walk(d)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith('.apy') and os.path.exists(os.path.join(root, name[:-4] + '.out')):
                print(os.path.join(root, name))
