# Sourced by .ci/lock and .ci/lowest-versions: sets UV to a uv of the version the locks were written with.
# The uv on PATH serves when it is that version; otherwise uv is installed from requirements/tools.lock (hashes
# required) into a virtual environment of its own, kept between runs, so the project's environments stay as
# their locks say.
UV_VERSION=0.13.8

uv_tools="${BATCHTRACK_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/batchtrack-tools}/uv-$UV_VERSION"
if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$UV_VERSION" ]; then
  UV=$(command -v uv)
elif [ -x "$uv_tools/bin/uv" ]; then
  UV="$uv_tools/bin/uv"
else
  echo "installing uv $UV_VERSION into $uv_tools"
  python3 -m venv "$uv_tools"
  if [ -f requirements/tools.lock ]; then
    "$uv_tools/bin/python" -m pip install --quiet --require-hashes -r requirements/tools.lock
  else
    "$uv_tools/bin/python" -m pip install --quiet "uv==$UV_VERSION"
  fi
  UV="$uv_tools/bin/uv"
fi
export UV UV_VERSION
