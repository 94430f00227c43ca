#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 found on this machine and install iursim with its extras.
# Usage: scripts/venv.sh  (prints the path of the venv's python on success)
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local candidate
    for candidate in "${IURSIM_PYTHON:-}" python3.13 python3.12 python3 \
        "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
        /usr/bin/python3.13 /usr/bin/python3.12 /usr/local/bin/python3.13 /usr/local/bin/python3.12; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
        if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

stamp=.venv/.iursim-installed
if [ ! -x .venv/bin/python ] || [ pyproject.toml -nt "$stamp" ]; then
    if [ ! -x .venv/bin/python ]; then
        if ! python=$(find_python); then
            {
                echo "error: iursim needs Python 3.12 or newer, and none was found."
                echo "  Looked for: \$IURSIM_PYTHON, python3.13, python3.12, python3, ~/.pyenv/versions/3.1[23]*."
                echo "  Fix: install Python 3.12+ (Debian/Ubuntu: 'apt-get install python3.12 python3.12-venv';"
                echo "  pyenv: 'pyenv install 3.12'), or point IURSIM_PYTHON at one, then run this command again."
                echo "错误：iursim 需要 Python 3.12 或更新版本，本机未找到。请安装 Python 3.12+ 或设置 IURSIM_PYTHON 后重试。"
            } >&2
            exit 1
        fi
        echo "Creating .venv with $python ($("$python" --version 2>&1))" >&2
        "$python" -m venv .venv
    fi
    echo "Installing iursim and its dependencies into .venv (log: .venv/install.log)" >&2
    if ! { .venv/bin/python -m pip install --upgrade pip &&
           .venv/bin/python -m pip install -e ".[app,calibrate,test]"; } >.venv/install.log 2>&1; then
        grep -v "is ignored: it is neither" .venv/install.log | tail -n 30 >&2
        echo "error: installing into .venv failed; the lines above are the end of .venv/install.log." >&2
        echo "错误：向 .venv 安装依赖失败；上面是 .venv/install.log 的最后几行。" >&2
        exit 1
    fi
    touch "$stamp"
fi
echo .venv/bin/python
