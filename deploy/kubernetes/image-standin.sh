#!/usr/bin/env bash
# The migration image's stages (Dockerfile beside this file) where no container builder runs,
# as CI does (tests/packaging): the runtime stage's packages checked on this machine, retort's
# Debian package installed with `dpkg --root` into a fresh root, the application's retort.toml
# and migrations/ copied in read-only, and the Job's script (migrate-job.yaml) run there as
# the image's non-root user (uid 10001) when started as root.
#
#   image-standin.sh install DEB ROOT       install DEB into ROOT, a fresh dpkg root
#   image-standin.sh run DEB APP_DIR        the image built from APP_DIR, and the Job run in it
#                                           (RETORT_URL from the environment, as from the Secret)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

install_root() {
  local deb=$1 root=$2
  # dpkg's own database in ROOT, empty: the package's dependencies are the machine's
  # (--force-depends), and the ldconfig its scripts call runs outside the root.
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  touch "$root/var/lib/dpkg/status"
  local log
  log=$(dpkg --root="$root" --force-depends --force-script-chrootless --force-not-root \
    --log=/dev/null -i "$deb" 2>&1) || { echo "$log" >&2; return 1; }
  dpkg --root="$root" -s retort | grep -q "^Status: install ok installed"
}

# The runtime stage's packages: what the package depends on, and pg_dump / pg_restore.
check_runtime() {
  local deb=$1 missing=()
  local depends
  depends=$(dpkg-deb -f "$deb" Depends)
  local IFS=,
  for dep in $depends; do
    dep=${dep// /}
    dep=${dep%%(*}
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$dep")
  done
  command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || missing+=(postgresql-client)
  if ((${#missing[@]})); then
    echo "image-standin: the runtime stage lacks ${missing[*]}: apt-get install them" >&2
    exit 1
  fi
}

job_script() {
  python3 - "$here/migrate-job.yaml" <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
container = job["spec"]["template"]["spec"]["containers"][0]
assert container["command"] == ["/bin/sh", "-ec"], container["command"]
print(container["args"][0], end="")
PY
}

case ${1:-} in
  install)
    install_root "$2" "$3"
    ;;
  run)
    deb=$2
    app=$3
    check_runtime "$deb"
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    chmod 0755 "$root"
    install_root "$deb" "$root"
    # COPY retort.toml and migrations/ (root's, read-only for the user); the backups volume.
    mkdir -p "$root/app/backups"
    cp "$app/retort.toml" "$root/app/"
    cp -R "$app/migrations" "$root/app/"
    chmod -R a+rX,go-w "$root/app"
    as_user=()
    if [[ $(id -u) -eq 0 ]]; then
      chown 10001:10001 "$root/app/backups"
      as_user=(setpriv --reuid 10001 --regid 10001 --clear-groups)
    fi
    chmod 0700 "$root/app/backups"
    script=$(job_script)
    cd "$root/app"
    env -i PATH="$root/usr/bin:/usr/bin:/bin" HOME=/nonexistent NO_COLOR=1 \
      RETORT_URL="${RETORT_URL:?set RETORT_URL, as the Job does from its Secret}" \
      "${as_user[@]}" /bin/sh -ec "$script"
    ;;
  *)
    echo "usage: image-standin.sh install DEB ROOT | run DEB APP_DIR" >&2
    exit 2
    ;;
esac
