#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (PATH first, then pyenv), or nothing.
for candidate in python3.10 "$(command -v pyenv >/dev/null && pyenv root)/versions/"3.10*/bin/python3.10 \
                 "$HOME/.pyenv/versions/"3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    echo "$path"; exit 0
  fi
done
exit 0
