#!/usr/bin/env python3
"""krew manifest tool: krew's own rules, without krew.

  krew-manifest.py check MANIFEST [--index-file NAME.yaml] [--archive OS/ARCH=PATH ...]
      Every check validate-krew-manifest runs in the krew-index CI
      (kubernetes-sigs/krew cmd/validate-krew-manifest, internal/index/validation),
      plus the review norms (shortDescription <= 50 chars, description wrapped at 80).
      With --archive, also installs that platform the way krew does (sha256, extract,
      files, bin, license file) into a scratch root.
  krew-manifest.py install MANIFEST --archive PATH --root DIR [--os linux --arch amd64]
      Installs like `kubectl krew install --manifest M --archive A` into DIR
      (DIR/store/NAME/VERSION/ and the link DIR/bin/kubectl-NAME).
  krew-manifest.py update MANIFEST --version vX.Y.Z --platform OS/ARCH --sha256 HEX
      Rewrites version, the version in every uri and the platform's sha256 in place,
      keeping the file's layout and comments.
Exit status: 0, 1 when a rule is broken (each printed on stderr), 2 on usage errors.
"""
import argparse
import fnmatch
import glob
import hashlib
import os
import re
import shutil
import sys
import tarfile
import tempfile
import zipfile

import yaml

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
SAFE_NAME = re.compile(r"^[\w-]+$")
WINDOWS_FORBIDDEN = ["CON", "PRN", "AUX", "NUL"] + ["COM%d" % i for i in range(1, 10)] + \
    ["LPT%d" % i for i in range(1, 10)]
SHA256 = re.compile(r"^[a-f0-9]{64}$")
# k8s.io/apimachinery util/version ParseSemantic after krew strips the leading "v"
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$")
# cmd/validate-krew-manifest/main.go allPlatforms()
ALL_PLATFORMS = [("windows", "386"), ("windows", "amd64"), ("windows", "arm64"),
                 ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"),
                 ("linux", "ppc64le"), ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm64")]
LICENSE_NAMES = {"license", "license.txt", "license.md", "licenses", "licenses.txt",
                 "licenses.md", "copying", "copying.txt"}
KNOWN = {
    "": {"apiVersion", "kind", "metadata", "spec"},
    "metadata": {"name", "namespace", "labels", "annotations", "creationTimestamp"},
    "spec": {"version", "homepage", "shortDescription", "description", "caveats", "platforms"},
    "platform": {"selector", "uri", "sha256", "bin", "files"},
    "selector": {"matchLabels", "matchExpressions"},
    "file": {"from", "to"},
}


class Broken(Exception):
    pass


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        raise Broken("%s: not a YAML mapping" % path)
    return doc


def unknown_keys(obj, kind, where, errors):
    if isinstance(obj, dict):
        for k in obj:
            if k not in KNOWN[kind]:
                errors.append("%s: unknown field %r (krew ignores it silently)" % (where, k))


def selector_matches(sel, os_, arch):
    labels = {"os": os_, "arch": arch}
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        val, op, vals = labels.get(e.get("key")), e.get("operator"), e.get("values") or []
        if op == "In" and val not in vals:
            return False
        if op == "NotIn" and val in vals:
            return False
        if op == "Exists" and val is None:
            return False
        if op == "DoesNotExist" and val is not None:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def validate(doc, name, errors):
    """internal/index/validation ValidatePlugin + validatePlatform, in krew's order."""
    if doc.get("apiVersion") != API_VERSION:
        errors.append("apiVersion=%r is not %r" % (doc.get("apiVersion"), API_VERSION))
    if doc.get("kind") != "Plugin":
        errors.append("kind=%r, but only 'Plugin' is supported" % doc.get("kind"))
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    unknown_keys(doc, "", "manifest", errors)
    unknown_keys(meta, "metadata", "metadata", errors)
    unknown_keys(spec, "spec", "spec", errors)
    if not SAFE_NAME.match(name or "") or (name or "").upper() in WINDOWS_FORBIDDEN:
        errors.append("the plugin name %r is not allowed, must match %s" % (name, SAFE_NAME.pattern))
    if meta.get("name") != name:
        errors.append("plugin should be named %r, not %r" % (name, meta.get("name")))
    short = spec.get("shortDescription")
    if not isinstance(short, str) or not short:
        errors.append("should have a short description")
    else:
        if "\r" in short or "\n" in short:
            errors.append("should not have line breaks in short description")
        if len(short) > 50:
            errors.append("shortDescription has %d characters; krew search cuts at 50" % len(short))
        if short.endswith("."):
            errors.append("shortDescription should not end with a period (review norm)")
    desc = spec.get("description")
    if not isinstance(desc, str) or not desc.strip():
        errors.append("should have a description (plugin-manifest.md)")
    else:
        for i, line in enumerate(desc.splitlines(), 1):
            if len(line) > 80:
                errors.append("description line %d is %d columns; wrap at 80" % (i, len(line)))
    if "caveats" in spec and not isinstance(spec["caveats"], str):
        errors.append("caveats must be a string")
    if "homepage" in spec and not isinstance(spec["homepage"], str):
        errors.append("homepage must be a string")
    platforms = spec.get("platforms")
    if not isinstance(platforms, list) or not platforms:
        errors.append("should have a platform specified")
        platforms = []
    version = spec.get("version")
    if not isinstance(version, str) or not version:
        errors.append("should have a version specified")
    elif not version.startswith("v"):
        errors.append("failed to parse plugin version: version string %r not starting with 'v'" % version)
    elif not SEMVER.match(version[1:]):
        errors.append("failed to parse plugin version: %r is not a semantic version" % version)
    for i, p in enumerate(platforms):
        where = "spec.platforms[%d]" % i
        if not isinstance(p, dict):
            errors.append("%s: not a mapping" % where)
            continue
        unknown_keys(p, "platform", where, errors)
        uri = p.get("uri")
        if not uri:
            errors.append("%s: `uri` has to be set" % where)
        elif not (uri.endswith(".tar.gz") or uri.endswith(".zip")):
            errors.append("%s: uri %r is neither .tar.gz nor .zip" % (where, uri))
        sha = p.get("sha256")
        if not sha:
            errors.append("%s: `sha256` sum has to be set" % where)
        elif not isinstance(sha, str) or not SHA256.match(sha):
            errors.append("%s: `sha256` value %s is not valid, must match pattern %s"
                          % (where, sha, SHA256.pattern))
        if not p.get("bin"):
            errors.append("%s: `bin` has to be set" % where)
        if "files" in p:
            files = p["files"]
            if not isinstance(files, list) or not files:
                errors.append("%s: `files` has to be unspecified or non-empty" % where)
            else:
                for f in files:
                    unknown_keys(f, "file", where + ".files", errors)
                    if not isinstance(f, dict) or not f.get("from"):
                        errors.append("%s: `from` field has to be set" % where)
                    elif not f.get("to"):
                        errors.append("%s: `to` field has to be set" % where)
                    elif os.path.normpath(f["to"]) != f["to"]:
                        errors.append("%s: the provided path is not clean, %r" % (where, f["to"]))
        sel = p.get("selector")
        if sel is None:
            errors.append("%s: nil selector is not supported" % where)
            continue
        unknown_keys(sel, "selector", where + ".selector", errors)
        ml, me = sel.get("matchLabels"), sel.get("matchExpressions")
        if ml is None and not me:
            errors.append("%s: empty selector is not supported" % where)
        keys = list((ml or {}).keys()) + [e.get("key") for e in (me or [])]
        for k in keys:
            if k not in ("os", "arch"):
                errors.append("%s: selector key %r not supported" % (where, k))
        if ml is not None and len(ml) == 0:
            errors.append("%s: `matchLabels` specified but empty" % where)
        if me is not None and len(me) == 0:
            errors.append("%s: `matchExpressions` specified but empty" % where)
    # cmd/validate-krew-manifest: every selector matches a supported platform, none overlap
    for i, p in enumerate(platforms):
        if isinstance(p, dict) and isinstance(p.get("selector"), dict):
            if not any(selector_matches(p["selector"], o, a) for o, a in ALL_PLATFORMS):
                errors.append("spec.platforms[%d] doesn't match any supported platforms" % i)
    for o, a in ALL_PLATFORMS:
        hits = [i for i, p in enumerate(platforms)
                if isinstance(p, dict) and isinstance(p.get("selector"), dict)
                and selector_matches(p["selector"], o, a)]
        if len(hits) > 1:
            errors.append("multiple spec.platforms (at indexes %s) have overlapping selectors (%s/%s)"
                          % (hits, o, a))


def platform_for(doc, os_, arch):
    for p in doc["spec"]["platforms"]:
        if selector_matches(p.get("selector") or {}, os_, arch):
            return p
    raise Broken("plugin does not offer installation for %s/%s" % (os_, arch))


def extract(archive, dest):
    """internal/download/downloader.go: type from content; tar: dirs and regular files only."""
    with open(archive, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        with tarfile.open(archive, "r:gz") as t:
            for m in t.getmembers():
                name = m.name
                if ".." in name or name.startswith("/") or name.startswith("\\"):
                    raise Broken("archive entry %r is suspicious" % name)
                path = os.path.join(dest, name)
                if m.isdir():
                    os.makedirs(path, 0o755, exist_ok=True)
                elif m.isreg():
                    os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
                    with t.extractfile(m) as src, open(path, "wb") as out:
                        shutil.copyfileobj(src, out)
                    os.chmod(path, m.mode & 0o7777)
                else:
                    raise Broken("unable to handle file type %r of %r (krew allows only files and directories)"
                                 % (m.type, name))
    elif magic == b"PK\x03\x04":
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    else:
        raise Broken("%s is neither a gzip nor a zip archive" % archive)


def sub_path(base, path):
    base, path = os.path.abspath(base), os.path.abspath(path)
    return path == base or path.startswith(base + os.sep)


def move_files(src, dst, files):
    """internal/installation/move.go: a direct move when `from` exists, else a glob."""
    for fo in files:
        frm, to = fo["from"], fo["to"]
        direct = os.path.normpath(os.path.join(src, frm))
        if os.path.exists(direct):
            target = os.path.join(dst, os.path.basename(direct) if os.path.normpath(to) == "." else to)
            moves = [(direct, target)]
        else:
            matches = glob.glob(os.path.join(src, frm))
            if not matches:
                raise Broken("no files in the plugin archive matched the glob pattern=%s" % frm)
            moves = [(m, os.path.join(dst, to, os.path.basename(m))) for m in matches]
        for a, b in moves:
            if not sub_path(src, a) or not sub_path(dst, b):
                raise Broken("can't move %s to %s: not a subpath" % (a, b))
            os.makedirs(os.path.dirname(b), 0o755, exist_ok=True)
            if os.path.isdir(b):
                shutil.rmtree(b)
            shutil.move(a, b)


def install(doc, archive, root, os_, arch):
    """What `kubectl krew install --manifest M --archive A` does; returns the bin link."""
    name, version = doc["metadata"]["name"], doc["spec"]["version"]
    p = platform_for(doc, os_, arch)
    with open(archive, "rb") as f:
        got = hashlib.sha256(f.read()).hexdigest()
    if got != p["sha256"]:
        raise Broken("checksum does not match, want: %s, got %s" % (p["sha256"], got))
    install_dir = os.path.join(root, "store", name, version)
    tmp = tempfile.mkdtemp(prefix="krew-like-")
    try:
        extract(archive, tmp)
        stage = tempfile.mkdtemp(prefix="krew-like-move-")
        os.chmod(stage, 0o755)
        move_files(tmp, stage, p.get("files") or [{"from": "*", "to": "."}])
        if os.path.isdir(install_dir):
            shutil.rmtree(install_dir)
        os.makedirs(os.path.dirname(install_dir), exist_ok=True)
        shutil.move(stage, install_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    binary = os.path.join(install_dir, p["bin"])
    if not sub_path(install_dir, binary):
        raise Broken("the bin %r is outside the install directory" % p["bin"])
    if not os.path.isfile(binary):
        raise Broken("source binary (%r) cannot be found in extracted archive" % p["bin"])
    if not os.access(binary, os.X_OK):
        raise Broken("%r is not executable after extraction (mode bits missing in the archive)" % p["bin"])
    if not any(f.lower() in LICENSE_NAMES for f in os.listdir(install_dir)):
        raise Broken("LICENSE (or alike) file is not extracted from the archive as part of installation")
    bindir = os.path.join(root, "bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "kubectl-" + name.replace("-", "_"))
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(binary, link)
    return link


def cmd_check(a):
    errors = []
    index_file = a.index_file or a.manifest
    if not index_file.endswith(".yaml"):
        errors.append("%s: a manifest file must end in .yaml" % index_file)
    try:
        doc = load(a.manifest)
    except (OSError, yaml.YAMLError, Broken) as e:
        print("krew-manifest: %s" % e, file=sys.stderr)
        return 1
    name = os.path.basename(index_file)[:-len(".yaml")] if index_file.endswith(".yaml") else index_file
    if a.index_file is None:
        name = (doc.get("metadata") or {}).get("name")
    validate(doc, name, errors)
    if not errors:
        for spec in a.archive or []:
            plat, _, path = spec.partition("=")
            os_, _, arch = plat.partition("/")
            root = tempfile.mkdtemp(prefix="krew-root-")
            try:
                install(doc, path, root, os_, arch)
            except (OSError, Broken, KeyError) as e:
                errors.append("install %s: %s" % (plat, e))
            finally:
                shutil.rmtree(root, ignore_errors=True)
    for e in errors:
        print("krew-manifest: %s: %s" % (a.manifest, e), file=sys.stderr)
    return 1 if errors else 0


def cmd_install(a):
    try:
        doc = load(a.manifest)
        print(install(doc, a.archive, a.root, a.os, a.arch))
    except (OSError, Broken, KeyError) as e:
        print("krew-manifest: install: %s" % e, file=sys.stderr)
        return 1
    return 0


def cmd_update(a):
    if not a.version.startswith("v") or not SEMVER.match(a.version[1:]):
        print("krew-manifest: bad version %r" % a.version, file=sys.stderr)
        return 2
    if not SHA256.match(a.sha256):
        print("krew-manifest: bad sha256 %r" % a.sha256, file=sys.stderr)
        return 2
    os_, _, arch = a.platform.partition("/")
    with open(a.manifest, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, found = [], False
    in_platform = False
    for line in lines:
        m = re.match(r"^(\s*)version:\s*\S+\s*$", line)
        if m and not found and line.startswith("  version:"):
            line = "  version: " + a.version
        if re.match(r"^\s*(- )?uri:", line):
            line = re.sub(r"/v\d+\.\d+\.\d+[^/]*/", "/" + a.version + "/", line)
            line = re.sub(r"_v\d+\.\d+\.\d+[^_]*_", "_" + a.version + "_", line)
            in_platform = line.rstrip().endswith("_%s_%s.tar.gz" % (os_, arch))
        m = re.match(r"^(\s*)sha256:", line)
        if m and in_platform:
            line = m.group(1) + "sha256: \"%s\"" % a.sha256  # quoted: all-digit hex would be a YAML int
            found, in_platform = True, False
        out.append(line)
    if not found:
        print("krew-manifest: no platform with uri ending _%s_%s.tar.gz followed by sha256"
              % (os_, arch), file=sys.stderr)
        return 1
    text = "\n".join(out)
    yaml.safe_load(text)  # still valid YAML
    tmp = a.manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, a.manifest)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("manifest")
    c.add_argument("--index-file", help="its name in krew-index (plugins/NAME.yaml); default: metadata.name")
    c.add_argument("--archive", action="append", metavar="OS/ARCH=PATH")
    i = sub.add_parser("install")
    i.add_argument("manifest")
    i.add_argument("--archive", required=True)
    i.add_argument("--root", required=True)
    i.add_argument("--os", default="linux")
    i.add_argument("--arch", default="amd64")
    u = sub.add_parser("update")
    u.add_argument("manifest")
    u.add_argument("--version", required=True)
    u.add_argument("--platform", required=True)
    u.add_argument("--sha256", required=True)
    a = ap.parse_args()
    return {"check": cmd_check, "install": cmd_install, "update": cmd_update}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
