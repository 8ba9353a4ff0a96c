#!/usr/bin/env python3
"""Obtain a Debian Linux kernel image for the Linux baseline, from Debian
packages only.

    fetch_kernel.py [--cache-dir DIR] [--package NAME] [--refresh]

Resolves the metapackage (default linux-image-amd64) to the real kernel
package (e.g. linux-image-6.1.0-56-amd64) with apt-cache, downloads that
.deb with apt-get download into DIR/dl, and extracts only /boot/vmlinuz-*
and /boot/config-* from it. Results, in DIR (default
build/linux-baseline):

    vmlinuz        the kernel image (bzImage) to give QEMU's -kernel
    kernel-config  the kernel's build configuration
    kernel.txt     package name, version and file name of the image

Cached: when DIR/vmlinuz and DIR/kernel.txt exist nothing is downloaded
(--refresh forces a new download). apt-get update runs only when the
package lists are missing or stale, and only as root. Prints the image's
path on success; on failure, one line on stderr and exit status 1.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile

DEFAULT_PACKAGE = "linux-image-amd64"


class FetchError(Exception):
    """A failure the user sees as one line."""


def _run(cmd, cwd=None, timeout=600):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except FileNotFoundError:
        raise FetchError(f"{cmd[0]} not found: fetching the kernel needs a Debian-based system "
                         "(or give run_linux.py --kernel PATH)") from None
    except subprocess.TimeoutExpired:
        raise FetchError(f"'{' '.join(cmd)}' did not finish within {timeout} s") from None
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def _last_line(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("E:")]
    return (errors or lines or ["(no output)"])[-1]


def _apt_update(log):
    if os.geteuid() != 0:
        raise FetchError("the apt package lists are missing or stale and only root can run "
                         "'apt-get update'; run it once as root, then retry")
    log("fetch_kernel: running apt-get update")
    rc, out, err = _run(["apt-get", "update"], timeout=600)
    if rc != 0:
        raise FetchError(f"apt-get update failed: {_last_line(err or out)}")


def _have_lists():
    """Whether apt has any package lists (a fresh container often has none)."""
    lists = "/var/lib/apt/lists"
    try:
        return any("_Packages" in name for name in os.listdir(lists))
    except OSError:
        return False


def resolve(package):
    """The real kernel package the metapackage depends on, or None when apt
    knows no such package (no lists)."""
    if re.fullmatch(r"linux-image-\d[\w.+-]*", package):
        return package
    rc, out, _ = _run(["apt-cache", "depends", package], timeout=120)
    if rc != 0:
        return None
    for line in out.splitlines():
        m = re.match(r"\s*\|?Depends:\s*(linux-image-\d\S*)\s*$", line)
        if m:
            return m.group(1)
    return None


def _find_deb(real, dl_dir):
    for name in sorted(os.listdir(dl_dir)):
        if name.startswith(real + "_") and name.endswith(".deb"):
            return os.path.join(dl_dir, name)
    return None


def _download(real, dl_dir):
    """(path of the .deb, None) or (None, apt's last error line)."""
    deb = _find_deb(real, dl_dir)
    if deb:
        return deb, None
    cmd = ["apt-get", "download", real]
    if os.geteuid() == 0:
        # apt's download sandbox user cannot write into a build directory.
        cmd[1:1] = ["-o", "APT::Sandbox::User=root"]
    rc, out, err = _run(cmd, cwd=dl_dir, timeout=900)
    if rc != 0:
        return None, _last_line(err or out)
    deb = _find_deb(real, dl_dir)
    return (deb, None) if deb else (None, "apt-get download reported success but wrote no .deb")


def _extract(deb, cache_dir):
    """Stream the package's data through tarfile and keep only the image and
    its config. Writes temporary files, renamed into place at the end."""
    try:
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise FetchError("dpkg-deb not found: fetching the kernel needs a Debian-based system "
                         "(or give run_linux.py --kernel PATH)") from None
    image = config = None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                base = os.path.basename(member.name)
                if not member.isfile() or os.path.dirname(member.name).lstrip("./") != "boot":
                    continue
                if base.startswith("vmlinuz-"):
                    target, image = os.path.join(cache_dir, "vmlinuz.tmp"), base
                elif base.startswith("config-"):
                    target, config = os.path.join(cache_dir, "kernel-config.tmp"), base
                else:
                    continue
                src = tar.extractfile(member)
                with open(target, "wb") as f:
                    shutil.copyfileobj(src, f)
    except tarfile.TarError as e:
        proc.kill()
        raise FetchError(f"{deb}: cannot read the package's data ({e})") from None
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace")
        rc = proc.wait()
    if rc != 0:
        raise FetchError(f"dpkg-deb --fsys-tarfile {deb} failed: {_last_line(err)}")
    if image is None:
        raise FetchError(f"{deb} holds no /boot/vmlinuz-*: is it a kernel image package?")
    return image, config


def ensure_kernel(cache_dir, package=DEFAULT_PACKAGE, refresh=False, log=None):
    """Path of a cached or freshly extracted kernel image. Raises FetchError."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    image_path = os.path.join(cache_dir, "vmlinuz")
    info_path = os.path.join(cache_dir, "kernel.txt")
    if not refresh and os.path.isfile(image_path) and os.path.isfile(info_path):
        return image_path
    dl_dir = os.path.join(cache_dir, "dl")
    os.makedirs(dl_dir, exist_ok=True)
    if refresh:
        for name in os.listdir(dl_dir):
            if name.endswith(".deb"):
                os.remove(os.path.join(dl_dir, name))

    updated = False
    real = resolve(package)
    if real is None and _have_lists():
        raise FetchError(f"apt knows no package '{package}' (check the name and /etc/apt/sources.list)")
    if real is None:
        _apt_update(log)
        updated = True
        real = resolve(package)
        if real is None:
            raise FetchError(f"apt knows no kernel package behind '{package}' "
                             "(check /etc/apt/sources.list)")
    log(f"fetch_kernel: {package} -> {real}; downloading into {dl_dir}")
    deb, why = _download(real, dl_dir)
    if deb is None:
        if updated:
            raise FetchError(f"apt-get download {real} failed: {why}")
        # Stale lists name a version the mirror no longer has: update, resolve again.
        _apt_update(log)
        real = resolve(package) or real
        deb, why = _download(real, dl_dir)
        if deb is None:
            raise FetchError(f"apt-get download {real} failed: {why}")
    image, config = _extract(deb, cache_dir)
    os.replace(os.path.join(cache_dir, "vmlinuz.tmp"), image_path)
    if config:
        os.replace(os.path.join(cache_dir, "kernel-config.tmp"), os.path.join(cache_dir, "kernel-config"))
    version = os.path.basename(deb).split("_")[1] if os.path.basename(deb).count("_") >= 2 else "?"
    with open(info_path + ".tmp", "w") as f:
        f.write(f"package={real}\nversion={version}\nimage={image}\n")
    os.replace(info_path + ".tmp", info_path)
    os.remove(deb)  # 70 MB; the image is all that is needed
    log(f"fetch_kernel: extracted {image} ({os.path.getsize(image_path)} bytes) from {os.path.basename(deb)}")
    return image_path


def kernel_info(cache_dir):
    """The key=value lines of DIR/kernel.txt as a dict (empty when absent)."""
    info = {}
    try:
        with open(os.path.join(cache_dir, "kernel.txt")) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    info[k] = v
    except OSError:
        pass
    return info


def main(argv):
    p = argparse.ArgumentParser(description="Fetch a Debian kernel image for the Linux baseline.")
    p.add_argument("--cache-dir", default=os.path.join("build", "linux-baseline"))
    p.add_argument("--package", default=DEFAULT_PACKAGE,
                   help="metapackage or real kernel package (default %(default)s)")
    p.add_argument("--refresh", action="store_true", help="download again even if an image is cached")
    a = p.parse_args(argv)
    try:
        os.makedirs(a.cache_dir, exist_ok=True)
        print(ensure_kernel(a.cache_dir, a.package, a.refresh))
    except (FetchError, OSError) as e:
        print(f"fetch_kernel: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
