#!/usr/bin/env bash
# Builds the base images `make test-docker` cannot pull (no registry needed): a Python 3.11 image and stand-ins for
# postgres, redis and nginx, all from Debian bookworm's packages. Each root file system is made once by mmdebstrap
# and kept as a tarball in CACHE_DIR, named by the hash of what goes into it; images are tagged with the same hash,
# so a second run finds them and does nothing. Prints nothing on stdout but KEY=image lines for the compose override.
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cache=${CACHE_DIR:?CACHE_DIR is not set}
mkdir -p "$cache/roots"

python_packages="python3.11 python3.11-venv python-is-python3 ca-certificates"
services_packages="postgresql-15 redis-server nginx"
# Documentation, manuals and translations are not needed to run anything (copyright files stay).
mmdebstrap_options=(--variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr --quiet
  --aptopt='Acquire::Languages "none"'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  # No cluster of its own: the postgres stand-in's entrypoint makes one in its volume.
  --essential-hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/votetracker.conf"')

key_of() { printf '%s\n' "$@" "${mmdebstrap_options[*]}" | sha256sum | cut -c1-12; }

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# root NAME PACKAGES -> tarball path, made when missing (an interrupted build leaves only a .partial).
root_tarball() {
  local name=$1 packages=$2 key tarball
  key=$(key_of "$packages")
  tarball="$cache/roots/$name-$key.tar"
  if [[ ! -s $tarball ]]; then
    echo "base-images: building the $name root from Debian packages ($packages)" >&2
    mmdebstrap "${mmdebstrap_options[@]}" --include="${packages// /,}" bookworm "$tarball.partial.tar" >&2
    mv "$tarball.partial.tar" "$tarball"
  fi
  echo "$tarball"
}

python_key=$(key_of "$python_packages")
services_key=$(key_of "$services_packages" "$(cat "$here/images/"*)")
python_image="votetracker-test/python:$python_key"
services_root="votetracker-test/services-root:$(key_of "$services_packages")"

# The two roots are independent downloads: make them side by side.
pids=()
if ! has_image "$python_image"; then root_tarball python "$python_packages" >/dev/null & pids+=($!); fi
if ! has_image "votetracker-test/postgres:$services_key"; then
  root_tarball services "$services_packages" >/dev/null & pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid"; done

if ! has_image "$python_image"; then
  # As the official python image: UTF-8 by default, python3 as the command. Debian's Python is 3.11.2, where redis
  # needs async-timeout: the lock pins it for every 3.11, so it installs unchanged.
  docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    "$(root_tarball python "$python_packages")" "$python_image" >&2
fi
if ! has_image "votetracker-test/postgres:$services_key"; then
  has_image "$services_root" || docker import "$(root_tarball services "$services_packages")" "$services_root" >&2
  for target in postgres redis nginx; do
    docker build --quiet --build-arg ROOT="$services_root" --target "$target" \
      --tag "votetracker-test/$target:$services_key" "$here/images" >&2
  done
fi
echo "PYTHON_IMAGE=$python_image"
echo "POSTGRES_IMAGE=votetracker-test/postgres:$services_key"
echo "REDIS_IMAGE=votetracker-test/redis:$services_key"
echo "NGINX_IMAGE=votetracker-test/nginx:$services_key"
