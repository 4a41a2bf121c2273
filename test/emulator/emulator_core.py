#!/usr/bin/env python3
"""kube_emulator: a Kubernetes API server emulator for the kubectl kong-tls tests.

Python 3 standard library only (test tooling). It serves, over TLS with its own CA, the small part of the
Kubernetes API the plugin talks to: namespaces, services, secrets, configmaps, events, endpoints (core/v1)
and the gateway.networking.k8s.io httproutes, gateways and backendtlspolicies, with discovery, bearer-token
and client-certificate authentication, get/list (selectors, pagination), create, update, delete, merge /
JSON / strategic-merge patch, server-side apply (field managers, conflicts), dryRun=All, and the Status
errors a real kube-apiserver v1.32 returns (test/fixtures/kube-api-recordings is the judge). Tests switch on
faults (status codes, dropped connections, delays, spurious conflicts) through /__emulator/ endpoints.

  python3 kube_emulator.py --dir DIR [--port N] [--gateway-versions v1alpha2|v1alpha3|v1,v1alpha3|v1]

On start it writes into DIR: ca.crt, kubeconfig, kubeconfig-readonly, kubeconfig-cert, admin-token,
readonly-token, client.crt, client.key, url, pid, requests.log; then prints "ready URL" and serves until
SIGTERM.
"""

import argparse
import base64
import copy
import datetime
import email.parser
import http.client
import http.server
import json
import marshal
import os
import queue
import re
import secrets
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

GW = "gateway.networking.k8s.io"
MISSING = object()


def json_copy(v):
    """copy.deepcopy for the JSON-shaped data the emulator keeps (dicts, lists, strings, numbers, booleans, None),
    in one C-level marshal round trip instead of deepcopy's Python recursion; anything marshal refuses (other
    types) goes to deepcopy. marshal keeps key order, and shared sub-objects stay shared as with deepcopy."""
    try:
        return marshal.loads(marshal.dumps(v))
    except ValueError:
        return copy.deepcopy(v)


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def gostr(s):
    """Go's %q for a string (enough for the messages we build)."""
    return json.dumps(s, ensure_ascii=False)


# ------------------------------------------------------------------ certificates

from emulator_certs import finish_certs, start_certs  # noqa: E402


# ------------------------------------------------------------------ field sets (structured-merge-diff)
# A path is a tuple of elements: ("f", name) for a field or map key, ("k", json-of-keys) for an item of an
# associative list, ("v", json-value) for an item of a set list, ("i", n) for an atomic-list index (unused).

def fields_to_v1(paths):
    root = {}
    members = set()
    for p in paths:
        node = root
        for el in p:
            node = node.setdefault(el, {})
        members.add(p)

    def render(node, prefix):
        out = {}
        if prefix in members and node:
            out["."] = {}
        for el in sorted(node, key=lambda e: (e[0], e[1])):
            key = "%s:%s" % (el[0], el[1])
            out[key] = render(node[el], prefix + (el,))
        return out
    return render(root, ())


def fields_from_v1(fv1, prefix=(), out=None):
    out = set() if out is None else out
    for k, v in (fv1 or {}).items():
        if k == ".":
            out.add(prefix)
            continue
        kind, _, rest = k.partition(":")
        p = prefix + ((kind, rest),)
        if not v:
            out.add(p)
        else:
            fields_from_v1(v, p, out)
    return out


def path_string(p):
    s = ""
    for kind, v in p:
        if kind == "f":
            s += "." + v
        elif kind == "k":
            keys = json.loads(v)
            s += "[" + ",".join("%s=%s" % (k, json.dumps(keys[k])) for k in keys) + "]"
        elif kind == "v":
            s += "[=" + v + "]"
        else:
            s += "[%s]" % v
    return s


class Schema:
    """What structured-merge-diff needs to know about one kind: atomic maps/structs/lists, associative
    lists with their keys, set lists. Paths use field names and "*" for list items."""

    def __init__(self, atomic=(), assoc=None, sets=(), empty=None):
        self.atomic = set(atomic)
        self.assoc = dict(assoc or {})
        self.sets = set(sets)
        self.empty = empty or {}

    def kind_of(self, names):
        if names in self.atomic:
            return "atomic"
        if names in self.assoc:
            return "assoc"
        if names in self.sets:
            return "set"
        return None


META_ASSOC = {("metadata", "ownerReferences"): ["uid"]}
META_SETS = {("metadata", "finalizers")}
STRIP = {(("f", "apiVersion"),), (("f", "kind"),), (("f", "metadata"),)} | {
    (("f", "metadata"), ("f", n)) for n in ("name", "namespace", "creationTimestamp", "selfLink", "uid",
                                            "clusterName", "generation", "managedFields", "resourceVersion",
                                            "deletionTimestamp", "deletionGracePeriodSeconds")}


def _item_key(item, keys):
    d = {}
    for k in keys:
        if isinstance(item, dict) and k in item:
            d[k] = item[k]
    return json.dumps(d, separators=(",", ":"), sort_keys=False)


def _is_container(v):
    return isinstance(v, (dict, list))


def field_set(value, schema, path=(), names=(), out=None, leaves_only=True):
    """ToFieldSet: the leaves of value (plus list items of associative/set lists and empty containers)."""
    out = set() if out is None else out
    kind = schema.kind_of(names)
    if kind == "atomic" or not _is_container(value):
        if path:
            out.add(path)
        return out
    if isinstance(value, dict):
        if not value and path:
            out.add(path)
        for k, v in value.items():
            field_set(v, schema, path + (("f", k),), names + (k,), out, leaves_only)
        return out
    if kind == "assoc":
        keys = schema.assoc[names]
        for item in value:
            ip = path + (("k", _item_key(item, keys)),)
            out.add(ip)
            if isinstance(item, dict):
                for k, v in item.items():
                    field_set(v, schema, ip + (("f", k),), names + ("*", k), out, leaves_only)
        return out
    if kind == "set":
        for item in value:
            out.add(path + (("v", json.dumps(item, separators=(",", ":"))),))
        return out
    if path:
        out.add(path)  # atomic list
    return out


def all_paths(value, schema, path, names, out):
    """Every path under (and including) path: what an added subtree contributes."""
    out.add(path)
    kind = schema.kind_of(names)
    if kind == "atomic" or not _is_container(value):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            all_paths(v, schema, path + (("f", k),), names + (k,), out)
    elif kind == "assoc":
        keys = schema.assoc[names]
        for item in value:
            ip = path + (("k", _item_key(item, keys)),)
            out.add(ip)
            if isinstance(item, dict):
                for k, v in item.items():
                    all_paths(v, schema, ip + (("f", k),), names + ("*", k), out)
    elif kind == "set":
        for item in value:
            out.add(path + (("v", json.dumps(item, separators=(",", ":"))),))


def compare(old, new, schema, path=(), names=(), res=None):
    """Returns (added, modified, removed) path sets between two objects."""
    if res is None:
        res = (set(), set(), set())
    added, modified, removed = res
    if old is MISSING and new is MISSING:
        return res
    if old is MISSING:
        all_paths(new, schema, path, names, added)
        return res
    if new is MISSING:
        all_paths(old, schema, path, names, removed)
        return res
    kind = schema.kind_of(names)
    if kind == "atomic" or not (_is_container(old) and _is_container(new)) or type(old) is not type(new):
        if old != new:
            modified.add(path)
        return res
    if isinstance(old, dict):
        for k in list(old) + [k for k in new if k not in old]:
            compare(old.get(k, MISSING), new.get(k, MISSING), schema, path + (("f", k),), names + (k,), res)
        return res
    if kind == "assoc":
        keys = schema.assoc[names]
        om = {_item_key(i, keys): i for i in old}
        nm = {_item_key(i, keys): i for i in new}
        for k in list(om) + [k for k in nm if k not in om]:
            ip = path + (("k", k),)
            o, n = om.get(k, MISSING), nm.get(k, MISSING)
            if o is MISSING:
                added.add(ip)
                if isinstance(n, dict):
                    for fk, fv in n.items():
                        all_paths(fv, schema, ip + (("f", fk),), names + ("*", fk), added)
            elif n is MISSING:
                removed.add(ip)
                if isinstance(o, dict):
                    for fk, fv in o.items():
                        all_paths(fv, schema, ip + (("f", fk),), names + ("*", fk), removed)
            else:
                for fk in list(o) + [x for x in n if x not in o]:
                    compare(o.get(fk, MISSING), n.get(fk, MISSING), schema, ip + (("f", fk),),
                            names + ("*", fk), res)
        return res
    if kind == "set":
        os_ = {json.dumps(i, separators=(",", ":")) for i in old}
        ns_ = {json.dumps(i, separators=(",", ":")) for i in new}
        for v in ns_ - os_:
            added.add(path + (("v", v),))
        for v in os_ - ns_:
            removed.add(path + (("v", v),))
        return res
    if old != new:
        modified.add(path)
    return res


def strip_paths(paths):
    return {p for p in paths if p not in STRIP and p[:1] != (("f", "status"),)}


def ssa_merge(live, config, schema, names=()):
    """Merges an applied configuration into the live object (maps merge, associative lists merge by key,
    everything else is replaced)."""
    kind = schema.kind_of(names)
    if kind == "atomic" or not isinstance(config, (dict, list)) or type(live) is not type(config):
        return json_copy(config)
    if isinstance(config, dict):
        out = json_copy(live)
        for k, v in config.items():
            out[k] = ssa_merge(live[k], v, schema, names + (k,)) if k in live else json_copy(v)
        return out
    if kind == "assoc":
        keys = schema.assoc[names]
        out = [json_copy(i) for i in live]
        idx = {_item_key(i, keys): n for n, i in enumerate(out)}
        for item in config:
            k = _item_key(item, keys)
            if k in idx:
                out[idx[k]] = ssa_merge(out[idx[k]], item, schema, names + ("*",))
            else:
                idx[k] = len(out)
                out.append(json_copy(item))
        return out
    if kind == "set":
        out = list(live)
        for v in config:
            if v not in out:
                out.append(v)
        return out
    return json_copy(config)


def remove_path(obj, path):
    """Removes one field path from obj (used to prune fields an applier stopped applying)."""
    node = obj
    for i, (kind, v) in enumerate(path):
        last = i == len(path) - 1
        if kind == "f":
            if not isinstance(node, dict) or v not in node:
                return
            if last:
                del node[v]
                return
            node = node[v]
        elif kind == "k":
            if not isinstance(node, list):
                return
            keys = json.loads(v)
            hit = [n for n, it in enumerate(node) if isinstance(it, dict) and all(it.get(a) == b for a, b in keys.items())]
            if not hit:
                return
            if last:
                del node[hit[0]]
                return
            node = node[hit[0]]
        elif kind == "v":
            if not isinstance(node, list):
                return
            val = json.loads(v)
            if last and val in node:
                node.remove(val)
            return
        else:
            return


# ------------------------------------------------------------------ resources

class Res:
    def __init__(self, group, resource, kind, singular, namespaced=True, short=(), categories=(),
                 versions=("v1",), schema=None, crd=False, storage_hash="", subresources=(),
                 verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")):
        self.group, self.resource, self.kind, self.singular = group, resource, kind, singular
        self.namespaced, self.short, self.categories = namespaced, list(short), list(categories)
        self.versions, self.schema, self.crd = list(versions), schema or Schema(), crd
        self.storage_hash, self.subresources, self.verbs = storage_hash, list(subresources), list(verbs)

    @property
    def qualified(self):  # "secrets" or "backendtlspolicies.gateway.networking.k8s.io"
        return self.resource + ("." + self.group if self.group else "")

    @property
    def qualified_kind(self):
        return self.kind + ("." + self.group if self.group else "")

    def api_version(self, version):
        return (self.group + "/" + version) if self.group else version


CRD_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")
NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")

SERVICE_SCHEMA = Schema(
    atomic={("spec", "selector"), ("spec", "clusterIPs"), ("spec", "ipFamilies"), ("spec", "externalIPs"),
            ("spec", "loadBalancerSourceRanges"), ("spec", "ports", "*", "targetPort")},
    assoc={**META_ASSOC, ("spec", "ports"): ["port", "protocol"], ("status", "conditions"): ["type"]},
    sets=META_SETS, empty={"metadata": {}, "spec": {}, "status": {}})
NAMESPACE_SCHEMA = Schema(assoc=META_ASSOC, sets=META_SETS, atomic={("spec", "finalizers")},
                          empty={"metadata": {}, "spec": {}, "status": {}})
PLAIN_SCHEMA = Schema(assoc=META_ASSOC, sets=META_SETS, empty={"metadata": {}})
EVENT_SCHEMA = Schema(atomic={("involvedObject",), ("related",)}, assoc=META_ASSOC, sets=META_SETS,
                      empty={"metadata": {}, "involvedObject": {}, "source": {}})
ENDPOINTS_SCHEMA = Schema(assoc=META_ASSOC, sets=META_SETS, empty={"metadata": {}})
CRD_SCHEMA = Schema(assoc=META_ASSOC, sets=META_SETS, empty={})

# Gateway API CRD versions per setup, as the Gateway API releases ship them (--gateway-versions picks the
# BackendTLSPolicy versions; the other kinds follow the release that serves those).
GATEWAY_SETUPS = {
    "v1alpha2": {"backendtlspolicies": ["v1alpha2"], "gateways": ["v1", "v1beta1"],
                 "httproutes": ["v1", "v1beta1"], "referencegrants": ["v1beta1", "v1alpha2"],
                 "tlsroutes": ["v1alpha2"]},
    "v1alpha3": {"backendtlspolicies": ["v1alpha3"], "gateways": ["v1", "v1beta1"],
                 "httproutes": ["v1", "v1beta1"], "referencegrants": ["v1beta1", "v1alpha2"],
                 "tlsroutes": ["v1alpha2"]},
    "v1,v1alpha3": {"backendtlspolicies": ["v1", "v1alpha3"], "gateways": ["v1", "v1beta1"],
                    "httproutes": ["v1", "v1beta1"], "referencegrants": ["v1beta1", "v1alpha2"],
                    "tlsroutes": ["v1alpha2"]},
    "v1": {"backendtlspolicies": ["v1"], "gateways": ["v1", "v1beta1"], "httproutes": ["v1", "v1beta1"],
           "referencegrants": ["v1beta1"]},
}


def build_resources(gateway_versions):
    setup = GATEWAY_SETUPS[gateway_versions]
    core = [
        Res("", "configmaps", "ConfigMap", "configmap", short=["cm"], schema=PLAIN_SCHEMA,
            storage_hash="qFsyl6wFWjQ="),
        Res("", "endpoints", "Endpoints", "endpoints", short=["ep"], schema=ENDPOINTS_SCHEMA,
            storage_hash="fWeeMqaN/OA="),
        Res("", "events", "Event", "event", short=["ev"], schema=EVENT_SCHEMA, storage_hash="r2yiGXH7wu8="),
        Res("", "namespaces", "Namespace", "namespace", namespaced=False, short=["ns"], schema=NAMESPACE_SCHEMA,
            storage_hash="Q3oi5N2YM8M=", verbs=NS_VERBS, subresources=["finalize", "status"]),
        Res("", "secrets", "Secret", "secret", schema=PLAIN_SCHEMA, storage_hash="S6u1pOWzb84="),
        Res("", "services", "Service", "service", short=["svc"], categories=["all"], schema=SERVICE_SCHEMA,
            storage_hash="0/CO1lhkEBI=", subresources=["proxy", "status"]),
    ]
    gw = []
    hashes = {"backendtlspolicies": "AKOP0S18e0A=", "gateways": "Kad7SBJ9YsU=", "httproutes": "V4ai9BdYkI8=",
              "referencegrants": "8cpPsWFrhes=", "tlsroutes": "RCkEd7sVmC4="}
    meta = {"backendtlspolicies": ("BackendTLSPolicy", "backendtlspolicy", ["btlspolicy"]),
            "gateways": ("Gateway", "gateway", ["gtw"]), "httproutes": ("HTTPRoute", "httproute", []),
            "referencegrants": ("ReferenceGrant", "referencegrant", ["refgrant"]),
            "tlsroutes": ("TLSRoute", "tlsroute", [])}
    for name in sorted(setup):
        kind, singular, short = meta[name]
        gw.append(Res(GW, name, kind, singular, short=short, categories=["gateway-api"], versions=setup[name],
                      schema=CRD_SCHEMA, crd=True, storage_hash=hashes[name], verbs=CRD_VERBS,
                      subresources=[] if name == "referencegrants" else ["status"]))
    return core + gw


def version_priority(v):
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (0, 0, 0)
    major, level, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    return ({"alpha": 1, "beta": 2, None: 3}[level], major, minor)


# ------------------------------------------------------------------ validation helpers

class FieldError:
    TYPES = {"Invalid": "FieldValueInvalid", "Required": "FieldValueRequired", "NotSupported":
             "FieldValueNotSupported", "TooLong": "FieldValueTooLong", "Forbidden": "FieldValueForbidden",
             "Duplicate": "FieldValueDuplicate", "NotFound": "FieldValueNotFound", "TooMany": "FieldValueTooMany"}

    def __init__(self, typ, field, value=None, detail="", raw_value=None):
        self.typ, self.field, self.value, self.detail, self.raw_value = typ, field, value, detail, raw_value

    def body(self):
        v = self.raw_value if self.raw_value is not None else gostr_value(self.value)
        if self.typ == "Invalid":
            s = "Invalid value: " + v
        elif self.typ == "Required":
            s = "Required value"
        elif self.typ == "NotSupported":
            s = "Unsupported value: " + v
        elif self.typ == "TooLong":
            s = "Too long"
        elif self.typ == "Forbidden":
            s = "Forbidden"
        elif self.typ == "Duplicate":
            s = "Duplicate value: " + v
        else:
            s = self.typ
        if self.detail:
            s += ": " + self.detail
        return s

    def error(self):
        return "%s: %s" % (self.field, self.body())


def gostr_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return gostr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "[]string{" + ", ".join(gostr(x) for x in v) + "}"
    return gostr(json.dumps(v))


DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUB = DNS1123_LABEL + r"(\." + DNS1123_LABEL + r")*"
DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
QNAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE = r"(" + QNAME + r")?"
CONFIG_KEY = r"[-._a-zA-Z0-9]+"

MSG_SUB = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
           "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
           "is '" + DNS1123_SUB + "')")
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '" + DNS1123_LABEL + "')")
MSG_1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
            "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
            "regex used for validation is '" + DNS1035_LABEL + "')")
MSG_QNAME_PART = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                  "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                  "validation is '" + QNAME + "')")
MSG_QNAME = ("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and "
             "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
             "validation is '" + QNAME + "') with an optional DNS subdomain prefix and '/' (e.g. "
             "'example.com/MyName')")
MSG_LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                   "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                   "'my_value',  or '12345', regex used for validation is '" + LABEL_VALUE + "')")
MSG_CONFIG_KEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
                  "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '" + CONFIG_KEY + "')")


def _check(v, max_len, regex, msg, what=""):
    """apimachinery's pattern: a length error, then a format error, each when it applies."""
    errs = []
    if len(v) > max_len:
        errs.append("%smust be no more than %d characters" % (what, max_len))
    if not re.fullmatch(regex, v):
        errs.append(msg)
    return errs


def check_dns_subdomain(v):
    return _check(v, 253, DNS1123_SUB, MSG_SUB)


def check_dns_label(v):
    return _check(v, 63, DNS1123_LABEL, MSG_LABEL)


def check_dns1035(v):
    return _check(v, 63, DNS1035_LABEL, MSG_1035)


def check_qualified_name(v):
    parts = v.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return ["prefix part must be non-empty"]
        errs = ["prefix part " + m for m in check_dns_subdomain(prefix)]
        if errs:
            return errs + _check_qname_part(name)
    else:
        return [MSG_QNAME]
    return _check_qname_part(name)


def _check_qname_part(name):
    if not name:
        return ["name part must be non-empty"]
    return _check(name, 63, QNAME, MSG_QNAME_PART, "name part ")


def check_label_value(v):
    return _check(v, 63, LABEL_VALUE, MSG_LABEL_VALUE)


def check_config_key(v):
    errs = _check(v, 253, CONFIG_KEY, MSG_CONFIG_KEY)
    if v in (".", ".."):
        errs.append("must not be '.' or '..'")
    elif v.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def validate_meta(obj, name_check, namespaced, errs, repeat=1):
    md = obj.get("metadata") or {}
    name = md.get("name", "")
    if not name and not md.get("generateName"):
        errs.append(FieldError("Required", "metadata.name", detail="name or generateName is required"))
    elif name:
        for m in name_check(name):
            errs.append(FieldError("Invalid", "metadata.name", name, m))
    for _ in range(repeat):
        for k, v in (md.get("labels") or {}).items():
            for m in check_qualified_name(k):
                errs.append(FieldError("Invalid", "metadata.labels", k, m))
            for m in check_label_value(v):
                errs.append(FieldError("Invalid", "metadata.labels", v, m))
        total = 0
        for k, v in (md.get("annotations") or {}).items():
            for m in check_qualified_name(k.lower()):
                errs.append(FieldError("Invalid", "metadata.annotations", k, m))
            total += len(k) + len(v)
        if total > 262144:
            errs.append(FieldError("TooLong", "metadata.annotations",
                                   detail="may not be more than 262144 bytes"))




def go_b64_error(s):
    """The index Go's base64.StdEncoding reports for invalid input, or None when s decodes."""
    for i, ch in enumerate(s):
        if ch in "\r\n":
            continue
        if not (ch.isascii() and (ch.isalnum() or ch in "+/=")):
            return i
    stripped = s.replace("\r", "").replace("\n", "")
    if "=" in stripped:
        i = stripped.index("=")
        pad = len(stripped) - i
        rest = stripped[i:]
        if rest != "=" * pad or pad > 2 or (i + pad) % 4 != 0 or i % 4 < 2:
            # Go reports the position of the first byte that breaks a 4-byte quantum
            return _orig_index(s, i if i % 4 < 2 else i + min(pad, 4 - i % 4))
        return None
    if len(stripped) % 4 != 0:
        return _orig_index(s, len(stripped) - len(stripped) % 4) if len(stripped) % 4 == 1 else \
            _orig_index(s, len(stripped))
    return None


def _orig_index(s, idx):
    n = 0
    for i, ch in enumerate(s):
        if ch in "\r\n":
            continue
        if n == idx:
            return i
        n += 1
    return len(s)


# ------------------------------------------------------------------ errors

class ApiError(Exception):
    """An answer other than success: a Status body (or plain text for unrouted paths)."""

    def __init__(self, code, reason, message, details=None, text=None, headers=None, warnings=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details
        self.text, self.headers, self.warnings = text, headers or {}, warnings or []

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": self.message,
              "reason": self.reason}
        if self.details is not None:
            st["details"] = self.details
        st["code"] = self.code
        return st


def not_found_text():
    return ApiError(404, "NotFound", "404 page not found", text="404 page not found\n")


def details_for(res, name=None):
    d = {}
    if name is not None:
        d["name"] = name
    if res.group:
        d["group"] = res.group
    d["kind"] = res.resource
    return d


def err_not_found(res, name):
    return ApiError(404, "NotFound", "%s %s not found" % (res.qualified, gostr(name)), details_for(res, name))


def err_already_exists(res, name):
    return ApiError(409, "AlreadyExists", "%s %s already exists" % (res.qualified, gostr(name)),
                    details_for(res, name))


def err_conflict(res, name):
    return ApiError(409, "Conflict", "Operation cannot be fulfilled on %s %s: the object has been modified; "
                    "please apply your changes to the latest version and try again" % (res.qualified, gostr(name)),
                    details_for(res, name))


def err_bad_request(msg):
    return ApiError(400, "BadRequest", msg, {})


def err_invalid(kind_q, group, name, errs):
    causes = [{"reason": FieldError.TYPES[e.typ], "message": e.body(), "field": e.field} for e in errs]
    msgs = []
    for e in errs:
        m = e.error()
        if m not in msgs:
            msgs.append(m)
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    d = {"name": name}
    if group:
        d["group"] = group
    d["kind"] = kind_q.split(".")[0] if group else kind_q
    d["causes"] = causes
    return ApiError(422, "Invalid", "%s %s is invalid: %s" % (kind_q, gostr(name), agg), d)


def err_options_invalid(kind, errs):
    causes = [{"reason": FieldError.TYPES[e.typ], "message": e.body(), "field": e.field} for e in errs]
    agg = errs[0].error() if len(errs) == 1 else "[" + ", ".join(e.error() for e in errs) + "]"
    return ApiError(422, "Invalid", "%s.meta.k8s.io \"\" is invalid: %s" % (kind, agg),
                    {"group": "meta.k8s.io", "kind": kind, "causes": causes})


# ------------------------------------------------------------------ selectors

class LabelSelector:
    """labels.Parse: =, ==, !=, in, notin, exists, !exists, and the error messages of the Go lexer."""

    def __init__(self, text):
        self.reqs = []
        self.text = text or ""
        self._parse()

    def _tokens(self):
        s, i, out = self.text, 0, []
        while i < len(s):
            c = s[i]
            if c.isspace():
                i += 1
                continue
            if s.startswith("==", i) or s.startswith("!=", i):
                out.append(s[i:i + 2])
                i += 2
            elif c in "=(),!":
                out.append(c)
                i += 1
            else:
                j = i
                while j < len(s) and not s[j].isspace() and s[j] not in "=(),!":
                    j += 1
                out.append(s[i:j])
                i = j
        return out

    def _parse(self):
        toks = self._tokens()
        pos = 0

        def peek():
            return toks[pos] if pos < len(toks) else ""

        def err(found, expected):
            raise err_bad_request("unable to parse requirement: found '%s', expected: %s" % (found, expected))
        while pos < len(toks):
            neg = False
            if peek() == "!":
                neg = True
                pos += 1
            key = peek()
            if not key or key in "=(),!" or key in ("==", "!="):
                err(key, "identifier")
            pos += 1
            if neg:
                self.reqs.append((key, "!", None))
            else:
                op = peek()
                if op in ("", ","):
                    self.reqs.append((key, "exists", None))
                elif op in ("=", "==", "!="):
                    pos += 1
                    val = peek()
                    if val in (",", ""):
                        val_ = ""
                    else:
                        val_ = val
                        pos += 1
                    self.reqs.append((key, "!=" if op == "!=" else "=", val_))
                elif op in ("in", "notin"):
                    pos += 1
                    if peek() != "(":
                        err(peek(), "'('")
                    pos += 1
                    vals = []
                    while True:
                        t = peek()
                        if t == ")":
                            pos += 1
                            break
                        if t == "":
                            err("", "',' or ')'")
                        if t == ",":
                            vals.append("")
                            pos += 1
                            continue
                        vals.append(t)
                        pos += 1
                        t = peek()
                        if t == ",":
                            pos += 1
                            continue
                        if t == ")":
                            continue
                        err(t, "',' or ')'")
                    self.reqs.append((key, op, vals))
                else:
                    err(op, "'=', '!=', '==', 'in', notin'")
            if pos < len(toks):
                if peek() != ",":
                    err(peek(), "','")
                pos += 1
                if pos >= len(toks):
                    err("", "identifier")
        for key, _, _ in self.reqs:
            errs = check_qualified_name(key)
            if errs:
                raise err_bad_request("unable to parse requirement: values[0][%s]: Invalid value: %s: %s"
                                      % (key, gostr(key), "; ".join(errs)))

    def matches(self, labels):
        labels = labels or {}
        for key, op, val in self.reqs:
            has = key in labels
            if op == "exists" and not has:
                return False
            if op == "!" and has:
                return False
            if op == "=" and labels.get(key) != val:
                return False
            if op == "!=" and has and labels.get(key) == val:
                return False
            if op == "in" and (not has or labels[key] not in val):
                return False
            if op == "notin" and has and labels[key] in val:
                return False
        return True


FIELD_LABELS = {
    "secrets": {"type": lambda o: o.get("type", "")},
    "events": {f: (lambda f: lambda o: str((o.get("involvedObject") or {}).get(f.split(".")[1], "")))(f)
               for f in ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                         "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                         "involvedObject.fieldPath")},
    "namespaces": {"status.phase": lambda o: (o.get("status") or {}).get("phase", "")},
    "services": {"spec.clusterIP": lambda o: (o.get("spec") or {}).get("clusterIP", ""),
                 "spec.type": lambda o: (o.get("spec") or {}).get("type", "")},
}
FIELD_LABELS["events"].update({"reason": lambda o: o.get("reason", ""), "type": lambda o: o.get("type", ""),
                               "source": lambda o: (o.get("source") or {}).get("component", ""),
                               "reportingComponent": lambda o: o.get("reportingComponent", "")})


class FieldSelector:
    def __init__(self, text, res):
        self.reqs = []
        if not text:
            return
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            m = re.fullmatch(r"([^=!]+?)\s*(==|!=|=)\s*(.*)", part)
            if not m:
                raise err_bad_request("invalid selector: '%s'; can't understand '%s'" % (text, part))
            key, op, val = m.group(1).strip(), m.group(2), m.group(3).strip()
            if key in ("metadata.name",):
                get = lambda o: (o.get("metadata") or {}).get("name", "")  # noqa: E731
            elif key == "metadata.namespace" and res.namespaced:
                get = lambda o: (o.get("metadata") or {}).get("namespace", "")  # noqa: E731
            elif key in FIELD_LABELS.get(res.resource, {}):
                get = FIELD_LABELS[res.resource][key]
            else:
                raise err_bad_request("field label not supported: " + key)
            self.reqs.append((get, op != "!=", val))

    def matches(self, obj):
        return all((get(obj) == val) == eq for get, eq, val in self.reqs)


# ------------------------------------------------------------------ object helpers

META_ORDER = ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
              "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
              "ownerReferences", "finalizers", "managedFields"]
MF_ORDER = ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1", "subresource"]
KIND_ORDER = {
    "Secret": ["kind", "apiVersion", "metadata", "immutable", "data", "stringData", "type"],
    "ConfigMap": ["kind", "apiVersion", "metadata", "immutable", "data", "binaryData"],
    "Service": ["kind", "apiVersion", "metadata", "spec", "status"],
    "Namespace": ["kind", "apiVersion", "metadata", "spec", "status"],
    "Endpoints": ["kind", "apiVersion", "metadata", "subsets"],
    "Event": ["kind", "apiVersion", "metadata", "involvedObject", "reason", "message", "source",
              "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series", "action", "related",
              "reportingComponent", "reportingInstance"],
}
SPEC_ORDER = {"Service": ["ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity",
                          "loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy",
                          "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig",
                          "ipFamilies", "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass",
                          "internalTrafficPolicy", "trafficDistribution"]}
PORT_ORDER = ["name", "protocol", "appProtocol", "port", "targetPort", "nodePort"]
INVOLVED_ORDER = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"]


def ordered(d, order, sort_rest=True):
    if not isinstance(d, dict):
        return d
    out = {k: d[k] for k in order if k in d}
    rest = [k for k in d if k not in out]
    for k in (sorted(rest) if sort_rest else rest):
        out[k] = d[k]
    return out


def sort_deep(v):
    if isinstance(v, dict):
        return {k: sort_deep(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [sort_deep(x) for x in v]
    return v


def canonical(obj, res):
    """Field order as the Go types (or, for custom resources, unstructured maps: sorted) serialize it."""
    if res.crd:
        obj = sort_deep(obj)
        md = obj.get("metadata")
        if isinstance(md, dict) and isinstance(md.get("managedFields"), list):
            md["managedFields"] = [sort_deep(e) for e in md["managedFields"]]
        return obj
    out = ordered(obj, KIND_ORDER.get(res.kind, ["kind", "apiVersion", "metadata"]))
    for k in ("data", "binaryData", "stringData"):  # omitempty maps of the Go types vanish when empty
        if out.get(k) in ({}, None) and k in out and res.kind in ("Secret", "ConfigMap"):
            del out[k]
    if isinstance(out.get("spec"), dict) and out["spec"].get("selector") == {} and res.kind == "Service":
        del out["spec"]["selector"]
    md = out.get("metadata")
    if isinstance(md, dict):
        for k in ("labels", "annotations", "finalizers", "ownerReferences", "managedFields"):
            if k in md and md[k] in ({}, [], None):
                del md[k]
        md = ordered(md, META_ORDER)
        for k in ("labels", "annotations"):
            if isinstance(md.get(k), dict):
                md[k] = sort_deep(md[k])
        if isinstance(md.get("managedFields"), list):
            md["managedFields"] = [ordered(e, MF_ORDER) for e in md["managedFields"]]
        out["metadata"] = md
    for k in ("data", "binaryData"):
        if isinstance(out.get(k), dict):
            out[k] = sort_deep(out[k])
    if res.kind == "Service" and isinstance(out.get("spec"), dict):
        sp = ordered(out["spec"], SPEC_ORDER["Service"])
        if isinstance(sp.get("ports"), list):
            sp["ports"] = [ordered(p, PORT_ORDER) for p in sp["ports"]]
        if isinstance(sp.get("selector"), dict):
            sp["selector"] = sort_deep(sp["selector"])
        out["spec"] = sp
    if res.kind == "Event" and isinstance(out.get("involvedObject"), dict):
        out["involvedObject"] = ordered(out["involvedObject"], INVOLVED_ORDER)
    return out


def go_json(v):
    s = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def merge_patch(target, patch):
    """RFC 7386; maps the patch touches come out with sorted keys (as evanphx/json-patch re-marshals them)."""
    if not isinstance(patch, dict):
        return json_copy(patch)
    if not isinstance(target, dict):
        target = {}
    out = {k: json_copy(v) for k, v in target.items()}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return {k: out[k] for k in sorted(out)}


class JSONPatchError(Exception):
    pass


def _ptr_tokens(ptr):
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise JSONPatchError("invalid pointer")
    return [t.replace("~1", "/").replace("~0", "~") for t in ptr[1:].split("/")]


def _ptr_parent(doc, toks):
    node = doc
    for t in toks[:-1]:
        if isinstance(node, dict):
            if t not in node:
                raise JSONPatchError("missing")
            node = node[t]
        elif isinstance(node, list):
            try:
                node = node[int(t)]
            except (ValueError, IndexError):
                raise JSONPatchError("missing")
        else:
            raise JSONPatchError("missing")
    return node


def json_patch(doc, ops):
    doc = json_copy(doc)
    for op in ops:
        if not isinstance(op, dict):
            raise JSONPatchError("bad op")
        kind = op.get("op")
        toks = _ptr_tokens(op.get("path", ""))
        if kind in ("add", "replace", "test") and "value" not in op:
            raise JSONPatchError("missing value")
        if kind == "test":
            cur = doc
            for t in toks:
                if isinstance(cur, dict) and t in cur:
                    cur = cur[t]
                elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
                    cur = cur[int(t)]
                else:
                    raise JSONPatchError("test failed")
            if cur != op["value"]:
                raise JSONPatchError("test failed")
            continue
        if kind in ("move", "copy"):
            ftoks = _ptr_tokens(op.get("from", ""))
            fparent = _ptr_parent(doc, ftoks)
            key = ftoks[-1]
            if isinstance(fparent, dict):
                if key not in fparent:
                    raise JSONPatchError("missing")
                val = fparent[key]
                if kind == "move":
                    del fparent[key]
            else:
                try:
                    val = fparent[int(key)]
                    if kind == "move":
                        del fparent[int(key)]
                except (ValueError, IndexError):
                    raise JSONPatchError("missing")
            doc = _json_add(doc, toks, json_copy(val))
            continue
        if not toks:
            if kind in ("add", "replace"):
                doc = json_copy(op["value"])
                continue
            raise JSONPatchError("bad root op")
        parent = _ptr_parent(doc, toks)
        key = toks[-1]
        if kind == "add":
            doc = _json_add(doc, toks, json_copy(op["value"]))
        elif kind in ("remove", "replace"):
            if isinstance(parent, dict):
                if key not in parent:
                    raise JSONPatchError("missing")
                if kind == "remove":
                    del parent[key]
                else:
                    parent[key] = json_copy(op["value"])
            elif isinstance(parent, list):
                try:
                    i = int(key)
                    if i < 0 or i >= len(parent):
                        raise IndexError
                except (ValueError, IndexError):
                    raise JSONPatchError("missing")
                if kind == "remove":
                    del parent[i]
                else:
                    parent[i] = json_copy(op["value"])
            else:
                raise JSONPatchError("missing")
        else:
            raise JSONPatchError("unknown op")
    return doc


def _json_add(doc, toks, val):
    parent = _ptr_parent(doc, toks)
    key = toks[-1]
    if isinstance(parent, dict):
        parent[key] = val
    elif isinstance(parent, list):
        if key == "-":
            parent.append(val)
        else:
            try:
                i = int(key)
            except ValueError:
                raise JSONPatchError("bad index")
            if i < 0 or i > len(parent):
                raise JSONPatchError("bad index")
            parent.insert(i, val)
    else:
        raise JSONPatchError("missing")
    return doc


SMP_KEYS = {("spec", "ports"): "port", ("spec", "containers"): "name", ("spec", "initContainers"): "name",
            ("spec", "volumes"): "name", ("subsets", "*", "ports"): "name", ("spec", "template", "spec", "containers"): "name",
            ("metadata", "ownerReferences"): "uid", ("env",): "name", ("spec", "externalIPs"): None,
            ("metadata", "finalizers"): None}


def strategic_merge(target, patch, names=()):
    """Strategic merge patch, pragmatically: a merge patch where lists with a merge key (Service ports by port,
    containers by name, ...) merge item by item, with $patch: delete/replace and
    $deleteFromPrimitiveList/<field>."""
    if not isinstance(patch, dict):
        return json_copy(patch)
    if patch.get("$patch") == "replace":
        return {k: json_copy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = json_copy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            continue
        if v is None:
            out.pop(k, None)
            continue
        sub = names + (k,)
        mkey = SMP_KEYS.get(sub, MISSING)
        if mkey is MISSING and len(sub) >= 2:
            mkey = SMP_KEYS.get(tuple("*" if isinstance(x, int) else x for x in sub), MISSING)
        if isinstance(v, list) and mkey is not MISSING and isinstance(out.get(k), list):
            cur = out.get(k) or []
            if mkey is None:  # merge strategy on a primitive list: union
                merged = list(cur)
                for x in v:
                    if x not in merged:
                        merged.append(x)
                out[k] = merged
                continue
            if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in v):
                out[k] = [x for x in v if not (isinstance(x, dict) and "$patch" in x)]
                continue
            result = [json_copy(x) for x in cur]
            new_items = []
            for item in v:
                if not isinstance(item, dict):
                    new_items.append(item)
                    continue
                idx = next((i for i, x in enumerate(result) if isinstance(x, dict) and x.get(mkey) == item.get(mkey)),
                           None)
                if item.get("$patch") == "delete":
                    if idx is not None:
                        del result[idx]
                    continue
                if idx is None:
                    new_items.append({a: b for a, b in item.items() if not a.startswith("$")})
                else:
                    result[idx] = strategic_merge(result[idx], item, sub + ("*",))
            out[k] = new_items + result
        elif isinstance(v, dict):
            r = strategic_merge(out.get(k), v, sub)
            if r is None:
                out.pop(k, None)
            else:
                out[k] = r
        else:
            out[k] = json_copy(v)
    for k in patch:
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(out.get(field), list):
                out[field] = [x for x in out[field] if x not in patch[k]]
    return out


# ------------------------------------------------------------------ a little YAML (apply bodies)

def parse_yaml(text):
    """Block-style YAML as kubectl and people write manifests: maps, lists, plain/quoted scalars, flow {} [],
    literal blocks (|). JSON is YAML too and goes through json."""
    t = text.strip()
    if t.startswith("{") or t.startswith("["):
        return json.loads(t)
    lines = []
    raw_lines = text.splitlines()
    i = 0
    while i < len(raw_lines):
        raw = raw_lines[i]
        i += 1
        s = raw.rstrip()
        if not s.strip() or s.lstrip().startswith("#") or s.strip() in ("---", "..."):
            continue
        ind = len(s) - len(s.lstrip(" "))
        body = s.strip()
        m = re.match(r'^(.*?:)\s+([|>])([-+]?)\s*$', body) or (re.match(r'^(-)\s+([|>])([-+]?)\s*$', body))
        if m:  # block scalar: collect the more-indented lines
            block = []
            while i < len(raw_lines) and (not raw_lines[i].strip() or
                                          len(raw_lines[i]) - len(raw_lines[i].lstrip(" ")) > ind):
                block.append(raw_lines[i])
                i += 1
            nonempty = [b for b in block if b.strip()]
            bi = min((len(b) - len(b.lstrip(" ")) for b in nonempty), default=0)
            content = [b[bi:] for b in block]
            while content and not content[-1].strip():
                content.pop()
            if m.group(2) == "|":
                val = "\n".join(content)
            else:
                val = " ".join(c.strip() for c in content)
            if m.group(3) != "-":
                val += "\n"
            lines.append((ind, m.group(1) + " " + json.dumps(val)))
            continue
        lines.append((ind, _strip_comment(body)))

    def scalar(s):
        if s.startswith("{") or s.startswith("["):
            try:
                return json.loads(s)
            except ValueError:
                return _flow(s)
        if len(s) >= 2 and s[0] == s[-1] == '"':
            return json.loads(s)
        if len(s) >= 2 and s[0] == s[-1] == "'":
            return s[1:-1].replace("''", "'")
        if s in ("null", "~", "", "Null", "NULL"):
            return None
        if s in ("true", "True", "TRUE"):
            return True
        if s in ("false", "False", "FALSE"):
            return False
        if re.fullmatch(r"[-+]?\d+", s):
            return int(s)
        if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?", s):
            return float(s)
        return s

    def _flow(s):
        s = s.strip()
        if s.startswith("{"):
            out = {}
            for it in _split_flow(s[1:-1]):
                k, _, v = it.partition(":")
                out[scalar(k.strip())] = _flow(v.strip())
            return out
        if s.startswith("["):
            return [_flow(it) for it in _split_flow(s[1:-1])]
        return scalar(s)

    pos = 0

    def split_key(s):
        m = re.match(r'^("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^:]+?):(?:\s+(.*)|$)', s)
        if not m:
            raise ValueError("cannot parse line: " + s)
        return scalar(m.group(1)), (m.group(2) or "").strip()

    def block(ind):
        if pos < len(lines) and (lines[pos][1].startswith("- ") or lines[pos][1] == "-"):
            return seq(lines[pos][0])
        return mapping(ind)

    def mapping(ind):
        nonlocal pos
        out = {}
        while pos < len(lines) and lines[pos][0] == ind and not (lines[pos][1].startswith("- ") or lines[pos][1] == "-"):
            k, rest = split_key(lines[pos][1])
            pos += 1
            if rest:
                out[k] = scalar(rest)
            elif pos < len(lines) and (lines[pos][0] > ind or (lines[pos][0] == ind and
                                                                (lines[pos][1].startswith("- ") or lines[pos][1] == "-"))):
                out[k] = block(lines[pos][0])
            else:
                out[k] = None
        if pos < len(lines) and lines[pos][0] > ind:
            raise ValueError("bad indentation: " + lines[pos][1])
        return out

    def seq(ind):
        nonlocal pos
        out = []
        while pos < len(lines) and lines[pos][0] == ind and (lines[pos][1].startswith("- ") or lines[pos][1] == "-"):
            body = lines[pos][1][1:].strip()
            if not body:
                pos += 1
                out.append(block(lines[pos][0]) if pos < len(lines) and lines[pos][0] > ind else None)
            elif body[0] not in "{[\"'" and re.match(r'^[^:]+?:(\s|$)', body) or \
                    re.match(r'^("(?:[^"\\]|\\.)*"|\'[^\']*\'):(\s|$)', body):
                lines[pos] = (ind + 2, body)
                out.append(mapping(ind + 2))
            else:
                pos += 1
                out.append(scalar(body))
        return out

    if not lines:
        return None
    return block(lines[0][0])


def _strip_comment(s):
    q = None
    for i, ch in enumerate(s):
        if q:
            if ch == q:
                q = None
        elif ch in "\"'":
            q = ch
        elif ch == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s


def _split_flow(s):
    out, depth, cur, q = [], 0, "", None
    for ch in s:
        if q:
            cur += ch
            if ch == q:
                q = None
            continue
        if ch in "\"'":
            q = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


# ------------------------------------------------------------------ kind-specific behaviour

SECRET_TYPES_REQUIRED = {
    "kubernetes.io/tls": ["tls.crt", "tls.key"],
    "kubernetes.io/basic-auth": [],
    "kubernetes.io/ssh-auth": ["ssh-privatekey"],
    "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
    "kubernetes.io/dockercfg": [".dockercfg"],
}

KNOWN_FIELDS = {
    "Secret": {"kind", "apiVersion", "metadata", "immutable", "data", "stringData", "type"},
    "ConfigMap": {"kind", "apiVersion", "metadata", "immutable", "data", "binaryData"},
    "Service": {"kind", "apiVersion", "metadata", "spec", "status"},
    "Namespace": {"kind", "apiVersion", "metadata", "spec", "status"},
    "Endpoints": {"kind", "apiVersion", "metadata", "subsets"},
    "Event": {"kind", "apiVersion", "metadata", "involvedObject", "reason", "message", "source", "firstTimestamp",
              "lastTimestamp", "count", "type", "eventTime", "series", "action", "related", "reportingComponent",
              "reportingInstance"},
}
META_FIELDS = set(META_ORDER)

# Fields the BackendTLSPolicy CRDs declare (structural schema): anything else is pruned with a warning.
BTLS_SCHEMA = {
    "v1alpha3": {"spec": {"targetRefs": [{"group": 1, "kind": 1, "name": 1, "sectionName": 1}],
                          "validation": {"caCertificateRefs": [{"group": 1, "kind": 1, "name": 1}],
                                         "wellKnownCACertificates": 1, "hostname": 1,
                                         "subjectAltNames": [{"type": 1, "hostname": 1, "uri": 1}]},
                          "options": "*"},
                 "status": "*"},
    "v1alpha2": {"spec": {"targetRef": {"group": 1, "kind": 1, "name": 1, "namespace": 1, "sectionName": 1},
                          "tls": {"caCertRefs": [{"group": 1, "kind": 1, "name": 1}], "wellKnownCACerts": 1,
                                  "hostname": 1}},
                 "status": "*"},
}
BTLS_SCHEMA["v1"] = BTLS_SCHEMA["v1alpha3"]


def prune_unknown(obj, schema, prefix, warnings):
    if schema == "*" or not isinstance(obj, dict):
        return
    for k in list(obj):
        if not prefix and k in ("apiVersion", "kind", "metadata"):
            continue
        if k not in schema:
            warnings.append("unknown field %s" % gostr(prefix + k))
            del obj[k]
            continue
        sub = schema[k]
        if isinstance(sub, dict):
            prune_unknown(obj[k], sub, prefix + k + ".", warnings)
        elif isinstance(sub, list) and isinstance(obj[k], list):
            for n, item in enumerate(obj[k]):
                prune_unknown(item, sub[0], "%s%s[%d]." % (prefix, k, n), warnings)


def first_undeclared(obj, schema, prefix):
    if schema == "*" or not isinstance(obj, dict):
        return None
    for k in obj:
        if k not in schema:
            return prefix + "." + k
        sub = schema[k]
        if isinstance(sub, dict):
            r = first_undeclared(obj[k], sub, prefix + "." + k)
            if r:
                return r
        elif isinstance(sub, list) and isinstance(obj[k], list):
            for item in obj[k]:
                r = first_undeclared(item, sub[0], prefix + "." + k)
                if r:
                    return r
    return None


HOSTNAME_RE = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
SKIPPED_CEL = "some validation rules were not checked because the object was invalid; correct the existing " \
              "errors to complete validation"


def validate_btls(obj, version):
    errs = []
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("Required", "spec")]
    if version == "v1alpha2":
        if not spec.get("targetRef"):
            errs.append(FieldError("Required", "spec.targetRef"))
        tls = spec.get("tls")
        if not isinstance(tls, dict):
            errs.append(FieldError("Required", "spec.tls"))
        elif not tls.get("hostname"):
            errs.append(FieldError("Required", "spec.tls.hostname"))
        return errs
    schema_errs, cel = [], []
    type_errs = []

    def want(path, v, typ):
        names = {list: "array", dict: "object", str: "string"}
        if v is not None and not isinstance(v, typ):
            got = go_type_name(v)
            got = {"number": "integer" if isinstance(v, int) else "number", "bool": "boolean"}.get(got, got)
            type_errs.append(FieldError("Invalid", path, raw_value=gostr(got),
                                        detail="%s in body must be of type %s: %s" % (path, names[typ], gostr(got))))
            return False
        return True
    ok_refs = want("spec.targetRefs", spec.get("targetRefs"), list)
    ok_val = want("spec.validation", spec.get("validation"), dict)
    if ok_refs:
        for n, r in enumerate(spec.get("targetRefs") or []):
            if want("spec.targetRefs[%d]" % n, r, dict):
                for f in ("group", "kind", "name", "sectionName"):
                    want("spec.targetRefs[%d].%s" % (n, f), r.get(f), str)
    if ok_val and spec.get("validation") is not None:
        v = spec["validation"]
        want("spec.validation.hostname", v.get("hostname"), str)
        want("spec.validation.wellKnownCACertificates", v.get("wellKnownCACertificates"), str)
        if want("spec.validation.caCertificateRefs", v.get("caCertificateRefs"), list):
            for n, r in enumerate(v.get("caCertificateRefs") or []):
                if want("spec.validation.caCertificateRefs[%d]" % n, r, dict):
                    for f in ("group", "kind", "name"):
                        want("spec.validation.caCertificateRefs[%d].%s" % (n, f), r.get(f), str)
        if want("spec.validation.subjectAltNames", v.get("subjectAltNames"), list):
            for n, r in enumerate(v.get("subjectAltNames") or []):
                want("spec.validation.subjectAltNames[%d]" % n, r, dict)
    if type_errs:
        return type_errs + [FieldError("Invalid", "<nil>", raw_value='"null"', detail=SKIPPED_CEL)]
    refs = spec.get("targetRefs")
    if refs is None:
        schema_errs.append(FieldError("Required", "spec.targetRefs"))
    elif isinstance(refs, list):
        if len(refs) < 1:
            schema_errs.append(FieldError("Invalid", "spec.targetRefs", raw_value="0",
                                          detail="spec.targetRefs in body should have at least 1 items"))
        if len(refs) > 16:
            schema_errs.append(FieldError("TooMany", "spec.targetRefs"))
        for n, r in enumerate(refs):
            for f in ("group", "kind", "name"):
                if not isinstance(r, dict) or f not in r:
                    schema_errs.append(FieldError("Required", "spec.targetRefs[%d].%s" % (n, f)))
        seen = {}
        for r in refs:
            if isinstance(r, dict):
                key = (r.get("group"), r.get("kind"), r.get("name"))
                seen.setdefault(key, []).append(r.get("sectionName"))
        if any(len(v) > 1 and (None in v or len(set(v)) != len(v)) for v in seen.values()):
            cel.append(FieldError("Invalid", "spec.targetRefs", raw_value='"array"',
                                  detail="sectionName must be unique when targetRefs includes 2 or more "
                                         "references to the same target"))
    val = spec.get("validation")
    if val is None:
        schema_errs.append(FieldError("Required", "spec.validation"))
    elif isinstance(val, dict):
        host = val.get("hostname")
        if host is None:
            schema_errs.append(FieldError("Required", "spec.validation.hostname"))
        elif not isinstance(host, str) or not re.match(HOSTNAME_RE, host) or len(host) > 253:
            schema_errs.append(FieldError("Invalid", "spec.validation.hostname", host,
                                          "spec.validation.hostname in body should match '%s'" % HOSTNAME_RE))
        wk = val.get("wellKnownCACertificates")
        if wk is not None and wk != "System":
            schema_errs.append(FieldError("NotSupported", "spec.validation.wellKnownCACertificates", wk,
                                          'supported values: "System"'))
        refs2 = val.get("caCertificateRefs")
        if isinstance(refs2, list) and len(refs2) > 8:
            schema_errs.append(FieldError("TooMany", "spec.validation.caCertificateRefs"))
        has_refs = isinstance(refs2, list) and len(refs2) > 0
        if has_refs and wk:
            cel.append(FieldError("Invalid", "spec.validation", raw_value='"object"',
                                  detail="must not contain both CACertificateRefs and WellKnownCACertificates"))
        if not has_refs and not wk:
            cel.append(FieldError("Invalid", "spec.validation", raw_value='"object"',
                                  detail="must specify either CACertificateRefs or WellKnownCACertificates"))
        for n, san in enumerate(val.get("subjectAltNames") or []):
            if not isinstance(san, dict):
                continue
            t = san.get("type")
            if t not in ("Hostname", "URI"):
                schema_errs.append(FieldError("NotSupported", "spec.validation.subjectAltNames[%d].type" % n, t,
                                              'supported values: "Hostname", "URI"'))
            if t == "Hostname" and not san.get("hostname"):
                cel.append(FieldError("Invalid", "spec.validation.subjectAltNames[%d]" % n, raw_value='"object"',
                                      detail="SubjectAltName element must contain Hostname, if Type is set to "
                                             "Hostname"))
            if t == "URI" and not san.get("uri"):
                cel.append(FieldError("Invalid", "spec.validation.subjectAltNames[%d]" % n, raw_value='"object"',
                                      detail="SubjectAltName element must contain URI, if Type is set to URI"))
    if any(e.typ in ("Required", "NotSupported") for e in schema_errs):
        return schema_errs + [FieldError("Invalid", "<nil>", raw_value='"null"', detail=SKIPPED_CEL)]
    return schema_errs + cel


def secret_warnings(obj):
    """The Warning headers kube-apiserver 1.32 adds for kubernetes.io/tls Secrets whose key pair is broken."""
    if obj.get("type") != "kubernetes.io/tls":
        return []
    data = obj.get("data") or {}
    try:
        crt = base64.b64decode(data.get("tls.crt", ""))
        key = base64.b64decode(data.get("tls.key", ""))
    except ValueError:
        return []
    if not crt or not key:
        return []
    with tempfile.TemporaryDirectory() as d:
        cf, kf = os.path.join(d, "c"), os.path.join(d, "k")
        with open(cf, "wb") as f:
            f.write(crt)
        with open(kf, "wb") as f:
            f.write(key)
        if b"-----BEGIN" not in crt:
            return ["tls: failed to find any PEM data in certificate input"]
        if b"-----BEGIN" not in key:
            return ["tls: failed to find any PEM data in key input"]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.load_cert_chain(cf, kf)
            return []
        except ssl.SSLError as e:
            s = str(e)
            if "KEY_VALUES_MISMATCH" in s or "key values mismatch" in s:
                return ["tls: private key does not match public key"]
            if "PEM" in s and ("CERT" in s.upper() and "key" not in s.lower()):
                return ["tls: failed to parse certificate"]
            return ["tls: failed to parse private key"]
        except OSError:
            return ["tls: failed to parse private key"]


# ------------------------------------------------------------------ the API server state and operations

GENERATE_CHARS = "bcdfghjklmnpqrstvwxz2456789"


class Emulator:
    def __init__(self, gateway_versions, server_address):
        self.lock = threading.RLock()
        self.rv = 100
        self.resources = build_resources(gateway_versions)
        self.by_group_res = {(r.group, r.resource): r for r in self.resources}
        self.store = {(r.group, r.resource): {} for r in self.resources}
        self.server_address = server_address
        self.ip_next = 10
        self.faults = []
        self.log = []
        self.log_file = None
        self.tokens = {}
        self.rendered = {}  # (res, version, marshal bytes of a stored object) -> its output form
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self._bootstrap_namespace(ns)
        self._bootstrap_kubernetes_service()

    # ---- bootstrap objects a fresh cluster has
    def _bootstrap_namespace(self, name):
        res = self.by_group_res[("", "namespaces")]
        obj = {"kind": "Namespace", "apiVersion": "v1",
               "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        self._stamp_new(obj, res, "kube-apiserver", "v1", "Update")
        self.store[("", "namespaces")][("", name)] = obj
        self._root_ca_configmap(name)

    def _root_ca_configmap(self, ns):
        res = self.by_group_res[("", "configmaps")]
        obj = {"kind": "ConfigMap", "apiVersion": "v1",
               "metadata": {"name": "kube-root-ca.crt", "namespace": ns,
                            "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used "
                                            "to verify the kube-apiserver when using internal endpoints such as "
                                            "the internal service IP or kubernetes.default.svc. No other usage is "
                                            "guaranteed across distributions of Kubernetes clusters."}},
               "data": {"ca.crt": getattr(self, "ca_pem", "")}}
        self._stamp_new(obj, res, "kube-controller-manager", "v1", "Update")
        self.store[("", "configmaps")][(ns, "kube-root-ca.crt")] = obj

    def _bootstrap_kubernetes_service(self):
        res = self.by_group_res[("", "services")]
        obj = {"kind": "Service", "apiVersion": "v1",
               "metadata": {"name": "kubernetes", "namespace": "default",
                            "labels": {"component": "apiserver", "provider": "kubernetes"}},
               "spec": {"ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 6443}],
                        "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"}}
        self._stamp_new(obj, res, "kube-apiserver", "v1", "Update")
        obj["spec"].update({"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "ipFamilies": ["IPv4"],
                            "ipFamilyPolicy": "SingleStack"})
        obj["status"] = {"loadBalancer": {}}
        self.store[("", "services")][("default", "kubernetes")] = canonical(obj, res)

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def _stamp_new(self, obj, res, manager, api_version, operation):
        md = obj["metadata"]
        md["uid"] = str(uuid.uuid4())
        md["resourceVersion"] = self.next_rv()
        md["creationTimestamp"] = now_rfc3339()
        empty = json_copy(res.schema.empty)
        paths = strip_paths(compare(empty if empty else {}, {k: v for k, v in obj.items()}, res.schema)[0])
        if paths:
            md["managedFields"] = [self._mf_entry(manager, operation, api_version, paths)]

    @staticmethod
    def _mf_entry(manager, operation, api_version, paths, when=None):
        return {"manager": manager, "operation": operation, "apiVersion": api_version,
                "time": when or now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": fields_to_v1(paths)}

    # ---- lookups
    def namespace_state(self, ns):
        o = self.store[("", "namespaces")].get(("", ns))
        if o is None:
            return None
        return (o.get("status") or {}).get("phase", "Active")

    def allocate_ip(self):
        used = {o.get("spec", {}).get("clusterIP") for o in self.store[("", "services")].values()}
        while True:
            self.ip_next += 1
            ip = "10.96.%d.%d" % (self.ip_next // 250, self.ip_next % 250 + 2)
            if ip not in used:
                return ip

    # ---- output form of a stored object for a request version
    def render(self, obj, res, version, shared=False):
        """The output form of obj. Remembered by the marshal bytes of obj (which determine it), so that an object
        read again unchanged is not put in order again; shared=True may return the remembered object itself, for
        callers that only serialize it."""
        try:
            raw = marshal.dumps(obj)
        except ValueError:
            out = copy.deepcopy(obj)
            if res.crd:
                out["apiVersion"] = res.api_version(version)
            return canonical(out, res)
        key = (res, version, raw)
        out = self.rendered.get(key)
        if out is None:
            out = marshal.loads(raw)
            if res.crd:
                out["apiVersion"] = res.api_version(version)
            out = canonical(out, res)
            if len(self.rendered) >= 4096:
                self.rendered.clear()
            self.rendered[key] = out
        return out if shared else json_copy(out)


def sort_managed_fields(entries):
    def key(e):
        t = e.get("time") or ""
        return (e.get("operation", ""), t, e.get("manager", ""), e.get("apiVersion", ""), e.get("subresource", ""))
    return sorted(entries, key=key)


def manager_key(e):
    d = {"manager": e["manager"], "operation": e["operation"]}
    if e["operation"] == "Update":
        d["apiVersion"] = e.get("apiVersion", "")
    if e.get("subresource"):
        d["subresource"] = e["subresource"]
    return json.dumps(d, separators=(",", ":"))


def print_manager(e):
    s = gostr(e["manager"])
    if e.get("subresource"):
        s += " with subresource " + gostr(e["subresource"])
    if e["operation"] == "Update":
        s += " using " + e.get("apiVersion", "")
    return s


def update_managed_fields(entries, old, new, schema, manager, api_version, operation="Update"):
    """structured-merge-diff Updater.Update for a non-apply write: the writer owns what it changed."""
    added, modified, removed = compare(old, new, schema)
    changed = strip_paths(added | modified)
    removed = strip_paths(removed)
    out = []
    mine = None
    for e in entries or []:
        if e["manager"] == manager and e["operation"] == operation and e.get("apiVersion") == api_version \
                and not e.get("subresource"):
            mine = e
            continue
        s = fields_from_v1(e.get("fieldsV1"))
        s2 = s - changed - removed
        if s2 != s:
            e = dict(e, fieldsV1=fields_to_v1(s2))
        if s2:
            out.append(e)
    s = fields_from_v1(mine["fieldsV1"]) if mine else set()
    s = (s - removed) | changed
    if s:
        if mine is not None and fields_from_v1(mine["fieldsV1"]) == s and not changed:
            out.append(mine)
        else:
            out.append(Emulator._mf_entry(manager, operation, api_version, s))
    return sort_managed_fields(out)


# ------------------------------------------------------------------ decoding of request bodies

# kubectl's typed clients (create secret/configmap/service/namespace) send Kubernetes protobuf:
# "k8s\x00" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. The messages we accept, by field number.
PB = {
    "Unknown": {1: ("typeMeta", "msg:TypeMeta"), 2: ("raw", "raw"), 3: ("contentEncoding", "string"),
                4: ("contentType", "string")},
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "ObjectMeta": {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                   4: ("selfLink", "string"), 5: ("uid", "string"), 6: ("resourceVersion", "string"),
                   7: ("generation", "int"), 8: ("creationTimestamp", "skip"), 9: ("deletionTimestamp", "skip"),
                   10: ("deletionGracePeriodSeconds", "int"), 11: ("labels", "map:string"),
                   12: ("annotations", "map:string"), 13: ("ownerReferences", "rmsg:OwnerReference"),
                   14: ("finalizers", "rstring"), 17: ("managedFields", "skip")},
    "OwnerReference": {1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"),
                       5: ("apiVersion", "string"), 6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool")},
    "Secret": {1: ("metadata", "msg:ObjectMeta"), 2: ("data", "map:bytes"), 3: ("type", "string"),
               4: ("stringData", "map:string"), 5: ("immutable", "bool")},
    "ConfigMap": {1: ("metadata", "msg:ObjectMeta"), 2: ("data", "map:string"), 3: ("binaryData", "map:bytes"),
                  4: ("immutable", "bool")},
    "Namespace": {1: ("metadata", "msg:ObjectMeta"), 2: ("spec", "msg:NamespaceSpec"), 3: ("status", "skip")},
    "NamespaceSpec": {1: ("finalizers", "rstring")},
    "Service": {1: ("metadata", "msg:ObjectMeta"), 2: ("spec", "msg:ServiceSpec"), 3: ("status", "skip")},
    "ServiceSpec": {1: ("ports", "rmsg:ServicePort"), 2: ("selector", "map:string"), 3: ("clusterIP", "string"),
                    4: ("type", "string"), 5: ("externalIPs", "rstring"), 7: ("sessionAffinity", "string"),
                    8: ("loadBalancerIP", "string"), 9: ("loadBalancerSourceRanges", "rstring"),
                    10: ("externalName", "string"), 11: ("externalTrafficPolicy", "string"),
                    12: ("healthCheckNodePort", "int"), 13: ("publishNotReadyAddresses", "bool"),
                    14: ("sessionAffinityConfig", "skip"), 17: ("ipFamilyPolicy", "string"),
                    18: ("clusterIPs", "rstring"), 19: ("ipFamilies", "rstring"),
                    20: ("allocateLoadBalancerNodePorts", "bool"), 21: ("loadBalancerClass", "string"),
                    22: ("internalTrafficPolicy", "string"), 23: ("trafficDistribution", "string")},
    "ServicePort": {1: ("name", "string"), 2: ("protocol", "string"), 3: ("port", "int"),
                    4: ("targetPort", "msg:IntOrString"), 5: ("nodePort", "int"), 6: ("appProtocol", "string")},
    "IntOrString": {1: ("type", "int"), 2: ("intVal", "int"), 3: ("strVal", "string")},
    "Event": {1: ("metadata", "msg:ObjectMeta"), 2: ("involvedObject", "msg:ObjectReference"),
              3: ("reason", "string"), 4: ("message", "string"), 5: ("source", "msg:EventSource"),
              6: ("firstTimestamp", "skip"), 7: ("lastTimestamp", "skip"), 8: ("count", "int"),
              9: ("type", "string"), 10: ("eventTime", "skip"), 12: ("action", "string"),
              14: ("reportingComponent", "string"), 15: ("reportingInstance", "string")},
    "ObjectReference": {1: ("kind", "string"), 2: ("namespace", "string"), 3: ("name", "string"),
                        4: ("uid", "string"), 5: ("apiVersion", "string"), 6: ("resourceVersion", "string"),
                        7: ("fieldPath", "string")},
    "EventSource": {1: ("component", "string"), 2: ("host", "string")},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int"), 2: ("preconditions", "msg:Preconditions"),
                      3: ("orphanDependents", "bool"), 4: ("propagationPolicy", "string"), 5: ("dryRun", "rstring")},
    "Preconditions": {1: ("uid", "string"), 2: ("resourceVersion", "string")},
}


def _pb_varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        if c < 0x80:
            return v, i
        shift += 7


def pb_fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = _pb_varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _pb_varint(b, i)
        elif wt == 2:
            n, i = _pb_varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        out.append((num, wt, v))
    return out


def pb_decode(b, msg):
    """Decodes message msg into the JSON form Go would produce (omitempty: zero values left out)."""
    schema = PB[msg]
    out = {}
    for num, wt, v in pb_fields(b):
        if num not in schema:
            continue
        name, typ = schema[num]
        if typ == "skip":
            continue
        if typ == "string":
            if v:
                out[name] = bytes(v).decode("utf-8")
        elif typ == "raw":
            out[name] = bytes(v)
        elif typ == "int":
            v = v - (1 << 64) if v >= 1 << 63 else v
            if v:
                out[name] = v
        elif typ == "bool":
            if v:
                out[name] = True
        elif typ.startswith("msg:"):
            out[name] = pb_decode(v, typ[4:])
        elif typ.startswith("rmsg:"):
            out.setdefault(name, []).append(pb_decode(v, typ[5:]))
        elif typ == "rstring":
            out.setdefault(name, []).append(bytes(v).decode("utf-8"))
        elif typ.startswith("map:"):
            k = val = None
            for n2, _, v2 in pb_fields(v):
                if n2 == 1:
                    k = bytes(v2).decode("utf-8")
                elif n2 == 2:
                    val = bytes(v2)
            m = out.setdefault(name, {})
            val = val or b""
            m[k or ""] = base64.b64encode(val).decode() if typ == "map:bytes" else val.decode("utf-8")
    if msg == "IntOrString":
        return out.get("strVal", "") if out.get("type") == 1 else out.get("intVal", 0)
    return out


def protobuf_to_json(body):
    if not body.startswith(b"k8s\x00"):
        raise ValueError("missing protobuf magic")
    unk = pb_decode(body[4:], "Unknown")
    tm = unk.get("typeMeta") or {}
    kind = tm.get("kind", "")
    if kind not in PB:
        raise ValueError("protobuf for %s is not supported by the emulator" % kind)
    obj = pb_decode(unk.get("raw", b""), kind)
    out = {"kind": kind, "apiVersion": tm.get("apiVersion", "v1")}
    out.update(obj)
    return out


def go_type_name(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def go_json_syntax_error(text):
    """The message Go's encoding/json gives for the first syntax error in text (common cases)."""
    s = text.lstrip()
    if not s:
        return "unexpected end of JSON input"
    c = s[0]
    for lit in ("null", "true", "false"):
        if c == lit[0]:
            for i, ch in enumerate(lit):
                if i >= len(s):
                    return "unexpected end of JSON input"
                if s[i] != ch:
                    return "invalid character %s in literal %s (expecting %s)" % (_gochar(s[i]), lit, _gochar(ch))
            return "invalid character %s after top-level value" % _gochar(s[len(lit)]) if len(s) > len(lit) \
                else "unexpected end of JSON input"
    if c in "{[\"-0123456789":
        try:
            json.loads(s)
        except ValueError as e:
            msg = str(e)
            if "Expecting value" in msg and "char" in msg:
                pos = int(re.search(r"char (\d+)", msg).group(1))
                if pos >= len(s):
                    return "unexpected end of JSON input"
                return "invalid character %s looking for beginning of value" % _gochar(s[pos])
            if "Extra data" in msg:
                pos = int(re.search(r"char (\d+)", msg).group(1))
                return "invalid character %s after top-level value" % _gochar(s[pos])
            return "unexpected end of JSON input"
        return ""
    return "invalid character %s looking for beginning of value" % _gochar(c)


def _gochar(ch):
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    return "'%s'" % ch


SERVICE_SPEC_FIELDS = set(SPEC_ORDER["Service"])
SERVICE_PORT_FIELDS = set(PORT_ORDER)


def check_typed(obj, res):
    """Decoding into the Go type: type errors (400) and the list of unknown fields."""
    what = '%s in version "v1" cannot be handled as a %s: ' % (res.kind, res.kind)
    unknown = []
    md = obj.get("metadata")
    if md is not None and not isinstance(md, dict):
        raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field %s.metadata of type "
                              "v1.ObjectMeta" % (go_type_name(md), res.kind))
    for f in ("labels", "annotations"):
        m = (md or {}).get(f)
        if m is None:
            continue
        if not isinstance(m, dict):
            raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field ObjectMeta.metadata.%s "
                                  "of type map[string]string" % (go_type_name(m), f))
        for v in m.values():
            if not isinstance(v, str):
                raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field ObjectMeta.metadata."
                                      "%s of type string" % (go_type_name(v), f))
    for k in (md or {}):
        if k not in META_FIELDS:
            unknown.append("metadata." + k)
    if res.crd:
        return unknown
    known = KNOWN_FIELDS.get(res.kind, set())
    for k in obj:
        if k not in known:
            unknown.append(k)
    if res.kind in ("Secret", "ConfigMap"):
        for f in ("data", "stringData", "binaryData"):
            m = obj.get(f)
            if m is None or (res.kind == "Secret" and f == "binaryData") or (res.kind == "ConfigMap" and f == "stringData"):
                continue
            if not isinstance(m, dict):
                raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field %s.%s of type "
                                      "map[string]%s" % (go_type_name(m), res.kind, f,
                                                         "[]uint8" if f in ("data", "binaryData") and res.kind == "Secret" or f == "binaryData" else "string"))
            for v in m.values():
                if v is None:
                    continue
                if not isinstance(v, str):
                    raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field %s.%s of type %s"
                                          % (go_type_name(v), res.kind, f,
                                             "[]uint8" if (res.kind == "Secret" and f == "data") or f == "binaryData"
                                             else "string"))
                if (res.kind == "Secret" and f == "data") or f == "binaryData":
                    bad = go_b64_error(v)
                    if bad is not None:
                        raise err_bad_request(what + "illegal base64 data at input byte %d" % bad)
    if res.kind == "Service":
        spec = obj.get("spec")
        if spec is not None and not isinstance(spec, dict):
            raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field Service.spec of type "
                                  "v1.ServiceSpec" % go_type_name(spec))
        if isinstance(spec, dict):
            for f, typ, want in (("ports", "[]v1.ServicePort", list), ("selector", "map[string]string", dict),
                                 ("clusterIPs", "[]string", list), ("ipFamilies", "[]v1.IPFamily", list),
                                 ("externalIPs", "[]string", list), ("type", "v1.ServiceType", str),
                                 ("clusterIP", "string", str), ("sessionAffinity", "v1.ServiceAffinity", str)):
                if spec.get(f) is not None and not isinstance(spec[f], want):
                    raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field ServiceSpec.spec.%s "
                                          "of type %s" % (go_type_name(spec[f]), f, typ))
            for p in spec.get("ports") or []:
                if not isinstance(p, dict):
                    raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field ServiceSpec.spec."
                                          "ports of type v1.ServicePort" % go_type_name(p))
            for k in spec:
                if k not in SERVICE_SPEC_FIELDS:
                    unknown.append("spec." + k)
            ports = spec.get("ports")
            if isinstance(ports, list):
                for n, p in enumerate(ports):
                    if isinstance(p, dict):
                        for k in p:
                            if k not in SERVICE_PORT_FIELDS:
                                unknown.append("spec.ports[%d].%s" % (n, k))
                        for k in ("port", "nodePort"):
                            if k in p and not isinstance(p[k], int):
                                raise err_bad_request(what + "json: cannot unmarshal %s into Go struct field "
                                                      "ServicePort.spec.ports.%s of type int32" % (go_type_name(p[k]), k))
    return unknown


def drop_unknown(obj, unknown):
    for path in unknown:
        parts = re.split(r"\.(?![^\[]*\])", path)
        node = obj
        for p in parts[:-1]:
            m = re.fullmatch(r"(.+)\[(\d+)\]", p)
            if m:
                node = (node.get(m.group(1)) or [None])[int(m.group(2))] if isinstance(node, dict) else None
            else:
                node = node.get(p) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(parts[-1], None)


def apply_defaults(obj, res):
    """The defaulting functions (what a decoded object gets before field management sees it)."""
    if res.kind == "Secret":
        sd = obj.pop("stringData", None)
        if sd:
            data = obj.setdefault("data", {}) or {}
            for k, v in sd.items():
                data[k] = base64.b64encode((v or "").encode()).decode()
            obj["data"] = data
        if not obj.get("type"):
            obj["type"] = "Opaque"
    elif res.kind == "Service":
        spec = obj.setdefault("spec", {})
        if not isinstance(spec, dict):
            return
        if not spec.get("type"):
            spec["type"] = "ClusterIP"
        if not spec.get("sessionAffinity"):
            spec["sessionAffinity"] = "None"
        if spec["type"] != "ExternalName" and not spec.get("internalTrafficPolicy"):
            spec["internalTrafficPolicy"] = "Cluster"
        if spec["type"] in ("NodePort", "LoadBalancer") and not spec.get("externalTrafficPolicy"):
            spec["externalTrafficPolicy"] = "Cluster"
        if spec["type"] == "LoadBalancer" and "allocateLoadBalancerNodePorts" not in spec:
            spec["allocateLoadBalancerNodePorts"] = True
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                if not p.get("protocol"):
                    p["protocol"] = "TCP"
                if "targetPort" not in p or p.get("targetPort") in (0, "", None):
                    p["targetPort"] = p.get("port")
        if spec.get("sessionAffinity") == "ClientIP" and not spec.get("sessionAffinityConfig"):
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    elif res.kind == "Namespace":
        md = obj.setdefault("metadata", {})
        if md.get("name"):
            md.setdefault("labels", {})
            md["labels"]["kubernetes.io/metadata.name"] = md["name"]


def validate_object(obj, res, version, old=None, ns=None):
    errs = []
    name_check = {"namespaces": check_dns_label, "services": check_dns1035}.get(res.resource, check_dns_subdomain)
    repeat = 4 if (res.kind == "Service" and old is not None) else 1
    validate_meta(obj, name_check, res.namespaced, errs, repeat)
    if res.kind == "Secret":
        data = obj.get("data") or {}
        for k in data:
            for m in check_config_key(k):
                errs.append(FieldError("Invalid", "data[%s]" % k, k, m))
        t = obj.get("type", "Opaque")
        if old is not None and old.get("type", "Opaque") != t:
            errs.append(FieldError("Invalid", "type", t, "field is immutable"))
        for k in SECRET_TYPES_REQUIRED.get(t, []):
            if k not in data:
                errs.append(FieldError("Required", "data[%s]" % k))
        if t == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
            errs.append(FieldError("Required", "data[username]"))
        size = sum(len(base64.b64decode(v or "")) for v in data.values())
        if size > 1024 * 1024:
            errs.append(FieldError("TooLong", "data", detail="may not be more than 1048576 bytes"))
        if old is not None and old.get("immutable"):
            if old.get("data") != obj.get("data"):
                errs.append(FieldError("Forbidden", "data", detail="field is immutable when `immutable` is set"))
            if not obj.get("immutable"):
                errs.append(FieldError("Forbidden", "immutable", detail="field is immutable when `immutable` is set"))
    elif res.kind == "ConfigMap":
        data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
        for k in data:
            for m in check_config_key(k):
                errs.append(FieldError("Invalid", "data[%s]" % k, k, m))
        for k in binary:
            for m in check_config_key(k):
                errs.append(FieldError("Invalid", "binaryData[%s]" % k, k, m))
            if k in data:
                errs.append(FieldError("Invalid", "data[%s]" % k, k, "duplicate of key present in binaryData"))
        size = sum(len(k) + len(v or "") for k, v in data.items()) + \
            sum(len(k) + len(base64.b64decode(v or "")) for k, v in binary.items())
        if size > 1024 * 1024:
            errs.append(FieldError("TooLong", "", detail="may not be more than 1048576 bytes"))
        if old is not None and old.get("immutable"):
            if old.get("data") != obj.get("data"):
                errs.append(FieldError("Forbidden", "data", detail="field is immutable when `immutable` is set"))
            if not obj.get("immutable"):
                errs.append(FieldError("Forbidden", "immutable", detail="field is immutable when `immutable` is set"))
    elif res.kind == "Service":
        errs.extend(validate_service(obj, old))
    elif res.kind == "Event":
        io = obj.get("involvedObject") or {}
        evns = (obj.get("metadata") or {}).get("namespace") or ns or ""
        if io.get("namespace") and io.get("namespace") != evns:
            errs.append(FieldError("Invalid", "involvedObject.namespace", io.get("namespace"),
                                   "does not match event.namespace"))
        if not obj.get("reportingComponent") and obj.get("eventTime"):
            errs.append(FieldError("Required", "reportingController"))
    elif res.kind == "Namespace":
        if old is not None and (old.get("spec") or {}).get("finalizers") != (obj.get("spec") or {}).get("finalizers"):
            pass
    elif res.resource == "backendtlspolicies":
        errs.extend(validate_btls(obj, version))
    return errs


def validate_service(obj, old):
    errs = []
    spec = obj.get("spec") or {}
    t = spec.get("type", "ClusterIP")
    types = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
    if t not in types:
        errs.append(FieldError("NotSupported", "spec.type", t, "supported values: " + ", ".join(gostr(x) for x in types)))
    ports = spec.get("ports") or []
    if not ports and t != "ExternalName":
        errs.append(FieldError("Required", "spec.ports"))
    seen_names, seen_pp = set(), set()
    for n, p in enumerate(ports):
        if not isinstance(p, dict):
            continue
        name = p.get("name", "")
        if len(ports) > 1 and not name:
            errs.append(FieldError("Required", "spec.ports[%d].name" % n))
        elif name:
            for m in check_dns_label(name):
                errs.append(FieldError("Invalid", "spec.ports[%d].name" % n, name, m))
            if name in seen_names:
                errs.append(FieldError("Duplicate", "spec.ports[%d].name" % n, name))
            seen_names.add(name)
        port = p.get("port", 0)
        if not isinstance(port, int) or not 1 <= port <= 65535:
            errs.append(FieldError("Invalid", "spec.ports[%d].port" % n, port, "must be between 1 and 65535, inclusive"))
        proto = p.get("protocol", "TCP")
        if proto not in ("TCP", "UDP", "SCTP"):
            errs.append(FieldError("NotSupported", "spec.ports[%d].protocol" % n, proto,
                                   'supported values: "SCTP", "TCP", "UDP"'))
        tp = p.get("targetPort")
        if isinstance(tp, int) and not 1 <= tp <= 65535:
            errs.append(FieldError("Invalid", "spec.ports[%d].targetPort" % n, tp,
                                   "must be between 1 and 65535, inclusive"))
        elif isinstance(tp, str):
            if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", tp) or len(tp) > 15 or not re.search("[a-z]", tp):
                errs.append(FieldError("Invalid", "spec.ports[%d].targetPort" % n, tp,
                                       "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"))
        key = (port, proto)
        if key in seen_pp:
            errs.append(FieldError("Duplicate", "spec.ports[%d]" % n, raw_value='core.ServicePort{Name:%s, Protocol:%s, '
                                   'AppProtocol:(*string)(nil), Port:%d, TargetPort:intstr.IntOrString{Type:0, '
                                   'IntVal:%s, StrVal:""}, NodePort:0}' % (gostr(name), gostr(proto), port, tp)))
        seen_pp.add(key)
    sa = spec.get("sessionAffinity", "None")
    if sa not in ("ClientIP", "None"):
        errs.append(FieldError("NotSupported", "spec.sessionAffinity", sa, 'supported values: "ClientIP", "None"'))
    sel = spec.get("selector") or {}
    for k, v in sel.items():
        for m in check_qualified_name(k):
            errs.append(FieldError("Invalid", "spec.selector", k, m))
        for m in check_label_value(v if isinstance(v, str) else ""):
            errs.append(FieldError("Invalid", "spec.selector", v, m))
    if old is not None:
        ospec = old.get("spec") or {}
        if spec.get("clusterIPs") and ospec.get("clusterIPs") and spec.get("clusterIPs") != ospec.get("clusterIPs") \
                and t != "ExternalName":
            errs.append(FieldError("Invalid", "spec.clusterIPs[0]", spec["clusterIPs"], "may not change once set"))
        elif spec.get("clusterIP") and ospec.get("clusterIP") and spec["clusterIP"] != ospec["clusterIP"] \
                and t != "ExternalName":
            errs.append(FieldError("Invalid", "spec.clusterIPs[0]", [spec["clusterIP"]], "may not change once set"))
    return errs


# ------------------------------------------------------------------ HTTP

REASON_FOR_CODE = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                   406: "NotAcceptable", 409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge",
                   415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
                   503: "ServiceUnavailable", 504: "Timeout"}
MESSAGE_FOR_CODE = {429: "Too many requests, please try again later.",
                    500: "Internal error occurred: injected fault",
                    502: "the server responded with the status code 502 but did not return more information",
                    503: "the server is currently unable to handle the request",
                    504: "the server was unable to return a response in the time allotted, but may still be "
                         "processing the request"}
READ_VERBS = ("get", "list", "watch")
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml")
AGG_ACCEPT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def accepts_aggregated(accept):
    for part in (accept or "").split(","):
        params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList" and \
                params.get("v") in ("v2", "v2beta1"):
            return params.get("v")
        if part.split(";")[0].strip() in ("application/json", "*/*", "application/*"):
            return None
    return None


def wants_table(accept):
    for part in (accept or "").split(","):
        params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return params.get("v")
        if part.split(";")[0].strip() in ("application/json", "*/*", "application/*"):
            return None
    return None


def human_age(seconds):
    s = int(max(seconds, 0))
    if s < 60 * 2:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 60 * 3:
        return "%dm" % m
    h = m // 60
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    d = h // 24
    if d < 8:
        return "%dd%dh" % (d, h % 24) if h % 24 else "%dd" % d
    if d < 365 * 2:
        return "%dd" % d
    return "%dy" % (d // 365)


def parse_time(s):
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return time.time()


NAME_DESC = ("Name must be unique within a namespace. Is required when creating resources, although some resources "
             "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
             "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
AGE_DESC = ("CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
            "guaranteed to be set in happens-before order across separate operations. Clients may not set this "
            "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
            "lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
            "#metadata")


def table_columns(res):
    def col(name, desc="", fmt="", prio=0):
        return {"name": name, "type": "string", "format": fmt, "description": desc, "priority": prio}
    name = col("Name", NAME_DESC, "name")
    age = col("Age", AGE_DESC)
    if res.kind == "Service":
        return [name, col("Type", "type determines how the Service is exposed."), col("Cluster-IP", "clusterIP"),
                col("External-IP", "externalIPs"), col("Port(s)", "ports"), age, col("Selector", "selector", prio=1)]
    if res.kind == "Secret":
        return [name, col("Type", "type"), {"name": "Data", "type": "string", "format": "", "description": "data",
                                            "priority": 0}, age]
    if res.kind == "ConfigMap":
        return [name, col("Data", "data"), age]
    if res.kind == "Namespace":
        return [name, col("Status", "The status of the namespace"), age]
    if res.kind == "Endpoints":
        return [name, col("Endpoints", "endpoints"), age]
    if res.kind == "Event":
        return [col("Last Seen"), col("Type"), col("Reason"), col("Object"), col("Message")]
    return [name, age]


def table_cells(obj, res):
    md = obj.get("metadata") or {}
    age = human_age(time.time() - parse_time(md.get("creationTimestamp")))
    name = md.get("name", "")
    if res.kind == "Service":
        sp = obj.get("spec") or {}
        ports = ",".join("%s%s/%s" % (p.get("port"), (":%s" % p["nodePort"]) if p.get("nodePort") else "",
                                      p.get("protocol", "TCP")) for p in sp.get("ports") or []) or "<none>"
        sel = ",".join("%s=%s" % (k, v) for k, v in sorted((sp.get("selector") or {}).items())) or "<none>"
        ext = ",".join(sp.get("externalIPs") or []) or ("<pending>" if sp.get("type") == "LoadBalancer" else "<none>")
        return [name, sp.get("type", ""), sp.get("clusterIP") or "None", ext, ports, age, sel]
    if res.kind == "Secret":
        return [name, obj.get("type", ""), len(obj.get("data") or {}), age]
    if res.kind == "ConfigMap":
        return [name, len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), age]
    if res.kind == "Namespace":
        return [name, (obj.get("status") or {}).get("phase", ""), age]
    if res.kind == "Endpoints":
        eps = []
        for s in obj.get("subsets") or []:
            for a in s.get("addresses") or []:
                for p in s.get("ports") or [{}]:
                    eps.append("%s:%s" % (a.get("ip"), p.get("port")) if p else a.get("ip"))
        return [name, ",".join(eps) or "<none>", age]
    if res.kind == "Event":
        io = obj.get("involvedObject") or {}
        last = obj.get("lastTimestamp") or md.get("creationTimestamp")
        return [human_age(time.time() - parse_time(last)), obj.get("type", ""), obj.get("reason", ""),
                "%s/%s" % ((io.get("kind") or "").lower(), io.get("name", "")), obj.get("message", "")]
    return [name, age]


class RequestHeaders(http.client.HTTPMessage):
    """The request headers, as http.client.parse_headers gives them, with get() from a dict of each name's first
    value (what Message.get returns) instead of a scan of all headers per call."""
    _first = None

    def get(self, name, failobj=None):
        first = self._first
        if first is None:
            return super().get(name, failobj)
        return first.get(name.lower(), failobj)

    def _changed(self):
        self._first = None

    def __setitem__(self, name, val):
        self._changed()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._changed()
        super().__delitem__(name)

    def set_raw(self, name, value):
        self._changed()
        super().set_raw(name, value)

    def replace_header(self, _name, _value):
        self._changed()
        super().replace_header(_name, _value)

    def add_header(self, _name, _value, **_params):
        self._changed()
        super().add_header(_name, _value, **_params)


# A header line the email parser reads as plain "Name: value" (printable ASCII, no folding, no bare CR)
_SIMPLE_HEADER = re.compile(rb"([!-9;-~]+):([\t -~]*)\r?\n")
_parse_headers = http.client.parse_headers


def parse_headers(fp, _class=http.client.HTTPMessage):
    """http.client.parse_headers (which BaseHTTPRequestHandler calls), without the email parser when every line is
    a plain header: the same names and values (value: after the colon, leading blanks and the line end removed) in
    the same order. Other classes, and requests with any other kind of line, go the standard way."""
    if _class is not RequestHeaders:
        return _parse_headers(fp, _class)
    lines = http.client._read_headers(fp)
    pairs = []
    for line in lines[:-1] if lines[-1] in (b"\r\n", b"\n", b"") else lines:
        m = _SIMPLE_HEADER.fullmatch(line)
        if m is None:
            return email.parser.Parser(_class=_class).parsestr(b"".join(lines).decode("iso-8859-1"))
        pairs.append((m.group(1).decode("ascii"), m.group(2).decode("ascii").lstrip(" \t")))
    msg = _class()
    msg._headers = pairs
    first = {}
    for k, v in pairs:
        first.setdefault(k.lower(), v)
    msg._first = first
    msg.set_payload("")
    return msg


http.client.parse_headers = parse_headers


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-emulator"
    sys_version = ""
    timeout = 600
    MessageClass = RequestHeaders

    def log_message(self, fmt, *args):  # quiet; the request log is the record
        pass

    _date = (None, "")

    def date_time_string(self, timestamp=None):
        """The Date header as BaseHTTPRequestHandler formats it (to the second), formatted once per second."""
        if timestamp is None:
            timestamp = time.time()
        sec = int(timestamp)
        if timestamp - sec >= 0.999:  # the microsecond rounding could reach the next second: no shortcut
            return super().date_time_string(timestamp)
        cached_sec, text = Handler._date
        if cached_sec != sec:
            text = super().date_time_string(sec)
            Handler._date = (sec, text)
        return text

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_OPTIONS(self):
        self.dispatch("OPTIONS")

    # ---- plumbing
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send_raw(self, code, body, ctype, extra_headers=None):
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        self.send_header("X-Content-Type-Options", "nosniff")
        for w in self.warnings:
            self.send_header("Warning", '299 - %s' % gostr(w))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        if self.command == "HEAD":
            body = b""
        self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n")
        self.wfile.write(b"".join(self._headers_buffer) + body)
        self._headers_buffer = []
        self.wfile.flush()
        self.record(code)

    def send_obj(self, code, obj, ctype="application/json", extra=None):
        self.send_raw(code, (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode(), ctype, extra)

    def send_error_obj(self, e):
        if e.warnings:
            self.warnings.extend(e.warnings)
        if e.text is not None:
            self.send_raw(e.code, e.text.encode(), "text/plain; charset=utf-8", e.headers)
        else:
            self.send_obj(e.code, e.status(), extra=e.headers)

    def record(self, code):
        if self.skip_log or self.logged:
            return
        self.logged = True
        emu = self.server.emu
        entry = {"method": self.command, "path": self.req_path, "query": self.req_query, "status": code,
                 "user": self.user or "", "content_type": self.headers.get("Content-Type") or "",
                 "dry_run": self.dry_run, "time": round(time.time(), 3),
                 "ms": round((time.time() - self.t0) * 1000, 1)}
        with emu.lock:
            emu.log.append(entry)
            if emu.log_file:
                emu.log_file.write(json.dumps(entry) + "\n")
                emu.log_file.flush()

    # ---- entry point
    def dispatch(self, method):
        self.t0 = time.time()
        self.warnings = []
        self.user = None
        self.logged = False
        self.skip_log = False
        u = urllib.parse.urlsplit(self.path)
        self.req_path, self.req_query = u.path, u.query
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.dry_run = "All" in self.query.get("dryRun", [])
        try:
            self.body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        emu = self.server.emu
        if u.path.startswith("/__emulator/") or u.path == "/__emulator":
            self.skip_log = True
            return self.control(method, u.path)
        rule = emu_match_fault(emu, method, u.path)
        if rule is not None:
            if self.apply_fault(rule, method, u.path):
                return
        try:
            self.user = self.authenticate()
            if self.user is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            self.route(method, u.path)
        except ApiError as e:
            self.send_error_obj(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - an emulator bug must show as a 500, not a hang
            import traceback
            traceback.print_exc(file=sys.stderr)
            self.send_error_obj(ApiError(500, "InternalError", "Internal error occurred: emulator: %s" % e, {}))

    def authenticate(self):
        emu = self.server.emu
        auth = self.headers.get("Authorization") or ""
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        if cert:
            cn = None
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            if cn:
                return cn
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            return emu.tokens.get(tok)
        return None

    # ---- faults and control
    def apply_fault(self, rule, method, path):
        action = rule.get("action", "status")
        if action == "delay":
            time.sleep(float(rule.get("seconds", 1.0)))
            return False
        if action == "drop":
            try:
                self.user = self.authenticate()
            except Exception:  # noqa: BLE001
                self.user = None
            self.record(0)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        try:
            self.user = self.authenticate()
        except Exception:  # noqa: BLE001
            self.user = None
        if action == "conflict":
            target = self.describe_target(path)
            if target:
                res, name = target
                e = err_conflict(res, name)
            else:
                e = ApiError(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please "
                             "apply your changes to the latest version and try again", {})
            self.send_error_obj(e)
            return True
        code = int(rule.get("status", 503))
        headers = {}
        details = {}
        if rule.get("retry_after") is not None:
            headers["Retry-After"] = str(rule["retry_after"])
            details = {"retryAfterSeconds": int(float(rule["retry_after"]))}
        reason = REASON_FOR_CODE.get(code, "")
        msg = rule.get("message") or MESSAGE_FOR_CODE.get(code) or ("injected fault %d" % code)
        self.send_error_obj(ApiError(code, reason, msg, details, headers=headers))
        return True

    def describe_target(self, path):
        segs = [s for s in path.split("/") if s]
        emu = self.server.emu
        try:
            if segs[0] == "api":
                group, rest = "", segs[2:]
            else:
                group, rest = segs[1], segs[3:]
            if rest[0] == "namespaces" and len(rest) >= 4:
                res = emu.by_group_res.get((group, rest[2]))
                return (res, rest[3]) if res else None
            res = emu.by_group_res.get((group, rest[0]))
            return (res, rest[1]) if res and len(rest) > 1 else None
        except IndexError:
            return None

    def control(self, method, path):
        emu = self.server.emu
        auth = self.headers.get("Authorization") or ""
        if not (auth.startswith("Bearer ") and emu.tokens.get(auth[7:].strip()) == "admin"):
            return self.send_error_obj(ApiError(401, "Unauthorized", "Unauthorized"))
        if path == "/__emulator/faults":
            if method == "POST":
                try:
                    rules = json.loads(self.body or b"[]")
                    if isinstance(rules, dict):
                        rules = [rules]
                    for r in rules:
                        re.compile(r.get("path", ".*"))
                        r.setdefault("count", 1)
                        r.setdefault("method", "*")
                        r.setdefault("path", ".*")
                except (ValueError, re.error, AttributeError) as e:
                    return self.send_error_obj(err_bad_request("bad fault rules: %s" % e))
                with emu.lock:
                    emu.faults.extend(rules)
                return self.send_obj(200, {"faults": emu.faults})
            if method == "DELETE":
                with emu.lock:
                    emu.faults.clear()
                return self.send_obj(200, {"faults": []})
            if method == "GET":
                return self.send_obj(200, {"faults": emu.faults})
        if path == "/__emulator/requests":
            if method == "GET":
                with emu.lock:
                    return self.send_obj(200, list(emu.log))
            if method == "DELETE":
                with emu.lock:
                    emu.log.clear()
                    if emu.log_file:
                        emu.log_file.truncate(0)
                        emu.log_file.seek(0)
                return self.send_obj(200, [])
        return self.send_error_obj(not_found_text())


def emu_match_fault(emu, method, path):
    with emu.lock:
        for r in emu.faults:
            if r.get("count", 1) <= 0:
                continue
            if r.get("method", "*") not in ("*", method):
                continue
            if not re.search(r.get("path", ".*"), path):
                continue
            r["count"] = r.get("count", 1) - 1
            rule = dict(r)
            emu.faults[:] = [x for x in emu.faults if x.get("count", 1) > 0]
            return rule
    return None


class ApiMixin:
    # ---- discovery
    def route(self, method, path):
        emu = self.server.emu
        segs = [s for s in path.split("/") if s]
        accept = self.headers.get("Accept") or ""
        if path in ("/healthz", "/livez", "/readyz") or (segs and segs[0] in ("healthz", "livez", "readyz")):
            return self.send_raw(200, b"ok", "text/plain; charset=utf-8")
        if path in ("/version", "/version/"):
            return self.send_obj(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.13",
                                       "gitCommit": "0000000000000000000000000000000000000000",
                                       "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                                       "goVersion": "go1.23.12", "compiler": "gc", "platform": "linux/amd64"})
        if segs and segs[0] == "openapi":
            return self.openapi(segs)
        if not segs:
            paths = ["/api", "/api/v1", "/apis", "/apis/" + GW, "/healthz", "/livez", "/openapi/v3", "/readyz",
                     "/version"]
            return self.send_obj(200, {"paths": sorted(paths)})
        if segs[0] == "api":
            if len(segs) == 1:
                if method != "GET":
                    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the "
                                   "requested resource", {})
                v = accepts_aggregated(accept)
                if v:
                    return self.send_obj(200, self.aggregated([r for r in emu.resources if not r.group], v, core=True),
                                         "%s" % AGG_ACCEPT.replace("v=v2", "v=" + v))
                return self.send_obj(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": emu.server_address}]})
            if segs[1] != "v1":
                raise not_found_text()
            if len(segs) == 2:
                return self.send_obj(200, self.resource_list("", "v1"))
            return self.resource_request(method, "", "v1", segs[2:], json_404=True)
        if segs[0] == "apis":
            if len(segs) == 1:
                v = accepts_aggregated(accept)
                if v:
                    return self.send_obj(200, self.aggregated([r for r in emu.resources if r.group], v),
                                         AGG_ACCEPT.replace("v=v2", "v=" + v))
                return self.send_obj(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                           "groups": [self.group_doc(g, kind=False) for g in self.groups()]})
            group = segs[1]
            if group == "authentication.k8s.io":
                return self.authn(method, segs)
            if group not in self.groups():
                raise not_found_text()
            if len(segs) == 2:
                return self.send_obj(200, self.group_doc(group))
            version = segs[2]
            if version not in self.group_versions(group):
                raise not_found_text()
            if len(segs) == 3:
                return self.send_obj(200, self.resource_list(group, version))
            return self.resource_request(method, group, version, segs[3:], json_404=False)
        raise not_found_text()

    def gv_list(self):
        out = [("", "v1")]
        for g in self.groups():
            out += [(g, v) for v in self.group_versions(g)]
        return out

    def openapi(self, segs):
        """OpenAPI v3, only as far as kubectl needs it: the root index and, per group-version, the operations
        with their x-kubernetes-group-version-kind and query parameters (kubectl checks that PATCH takes
        fieldValidation before it lets the server validate). Schemas are not served."""
        if segs[1:2] != ["v3"]:
            raise not_found_text()
        if len(segs) == 2:
            paths = {}
            for g, v in self.gv_list():
                key = ("apis/%s/%s" % (g, v)) if g else "api/v1"
                paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, "0" * 128)}
            return self.send_obj(200, {"paths": paths})
        want = "/".join(segs[2:])
        for g, v in self.gv_list():
            key = ("apis/%s/%s" % (g, v)) if g else "api/v1"
            if key == want:
                return self.send_obj(200, self.openapi_doc(g, v))
        raise not_found_text()

    def openapi_doc(self, group, version):
        def param(name):
            return {"name": name, "in": "query", "description": name, "schema": {"type": "string",
                                                                                   "uniqueItems": True}}
        write = [param("dryRun"), param("fieldManager"), param("fieldValidation")]
        paths = {}
        prefix = ("/apis/%s/%s" % (group, version)) if group else "/api/v1"
        for r in self.server.emu.resources:
            if r.group != group or version not in r.versions:
                continue
            gvk = {"group": group, "version": version, "kind": r.kind}

            def op(action, params):
                return {"tags": [r.resource], "operationId": action + r.kind, "parameters": params,
                        "responses": {"200": {"description": "OK"}}, "x-kubernetes-action": action,
                        "x-kubernetes-group-version-kind": gvk}
            coll = prefix + ("/namespaces/{namespace}/" if r.namespaced else "/") + r.resource
            item = coll + "/{name}"
            paths[coll] = {"get": op("list", [param("labelSelector"), param("fieldSelector"), param("limit"),
                                              param("continue")]),
                           "post": op("post", write)}
            paths[item] = {"get": op("get", []), "put": op("put", write),
                           "patch": op("patch", write + [param("force")]),
                           "delete": op("delete", [param("dryRun")])}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.13"}, "paths": paths,
                "components": {"schemas": {}}}

    def groups(self):
        out = []
        for r in self.server.emu.resources:
            if r.group and r.group not in out:
                out.append(r.group)
        return out

    def group_versions(self, group):
        vs = set()
        for r in self.server.emu.resources:
            if r.group == group:
                vs.update(r.versions)
        return sorted(vs, key=version_priority, reverse=True)

    def group_doc(self, group, kind=True):
        vs = self.group_versions(group)
        d = {}
        if kind:
            d = {"kind": "APIGroup", "apiVersion": "v1"}
        d.update({"name": group, "versions": [{"groupVersion": group + "/" + v, "version": v} for v in vs],
                  "preferredVersion": {"groupVersion": group + "/" + vs[0], "version": vs[0]}})
        return d

    def resource_list(self, group, version):
        out = []
        for r in self.server.emu.resources:
            if r.group != group or version not in r.versions:
                continue
            e = {"name": r.resource, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": r.verbs}
            if r.short:
                e["shortNames"] = r.short
            if r.categories:
                e["categories"] = r.categories
            if r.storage_hash:
                e["storageVersionHash"] = r.storage_hash
            out.append(e)
            for sub in r.subresources:
                verbs = {"status": ["get", "patch", "update"], "finalize": ["update"],
                         "proxy": ["create", "delete", "get", "patch", "update"]}[sub]
                out.append({"name": r.resource + "/" + sub, "singularName": "", "namespaced": r.namespaced,
                            "kind": r.kind if sub != "proxy" else "ServiceProxyOptions", "verbs": verbs})
        out.sort(key=lambda e: e["name"])
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": (group + "/" if group else "") + version,
                "resources": out}

    def aggregated(self, resources, v, core=False):
        groups = {}
        for r in resources:
            groups.setdefault(r.group, []).append(r)
        items = []
        order = [""] if core else self.groups()
        for g in order:
            versions = []
            for ver in (["v1"] if core else self.group_versions(g)):
                rs = []
                for r in sorted(groups.get(g, []), key=lambda x: x.resource):
                    if ver not in r.versions:
                        continue
                    e = {"resource": r.resource, "responseKind": {"group": r.group, "version": ver, "kind": r.kind},
                         "scope": "Namespaced" if r.namespaced else "Cluster", "singularResource": r.singular,
                         "verbs": r.verbs}
                    if r.short:
                        e["shortNames"] = r.short
                    if r.categories:
                        e["categories"] = r.categories
                    subs = []
                    for sub in r.subresources:
                        verbs = {"status": ["get", "patch", "update"], "finalize": ["update"],
                                 "proxy": ["create", "delete", "get", "patch", "update"]}[sub]
                        sk = {"group": r.group, "version": ver, "kind": r.kind if sub != "proxy" else "ServiceProxyOptions"}
                        subs.append({"subresource": sub, "responseKind": sk, "verbs": verbs})
                    if subs:
                        e["subresources"] = subs
                    rs.append(e)
                versions.append({"version": ver, "resources": rs, "freshness": "Current"})
            md = {"creationTimestamp": None}
            if g:
                md["name"] = g
            items.append({"metadata": md, "versions": versions})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/" + v, "metadata": {},
                "items": items}

    def authn(self, method, segs):
        if len(segs) == 2:
            return self.send_obj(200, {"kind": "APIGroup", "apiVersion": "v1", "name": "authentication.k8s.io",
                                       "versions": [{"groupVersion": "authentication.k8s.io/v1", "version": "v1"}],
                                       "preferredVersion": {"groupVersion": "authentication.k8s.io/v1", "version": "v1"}})
        if len(segs) == 3 and segs[2] == "v1":
            return self.send_obj(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                       "groupVersion": "authentication.k8s.io/v1", "resources": [
                                           {"name": "selfsubjectreviews", "singularName": "selfsubjectreview",
                                            "namespaced": False, "kind": "SelfSubjectReview", "verbs": ["create"]},
                                           {"name": "tokenreviews", "singularName": "tokenreview",
                                            "namespaced": False, "kind": "TokenReview", "verbs": ["create"]}]})
        if len(segs) == 4 and segs[2] == "v1" and segs[3] == "selfsubjectreviews" and method == "POST":
            groups = ["system:authenticated"]
            if self.user in ("admin", "cert-admin"):
                groups = ["system:masters", "system:authenticated"]
            return self.send_obj(201, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                                       "metadata": {"creationTimestamp": now_rfc3339()},
                                       "status": {"userInfo": {"username": self.user, "groups": groups}}})
        raise not_found_text()

    # ---- resource requests
    def resource_request(self, method, group, version, rest, json_404):
        emu = self.server.emu
        ns = name = sub = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            ns, resource = rest[1], rest[2]
            name = rest[3] if len(rest) > 3 else None
            sub = rest[4] if len(rest) > 4 else None
            extra = rest[5:]
        else:
            resource = rest[0]
            name = rest[1] if len(rest) > 1 else None
            sub = rest[2] if len(rest) > 2 else None
            extra = rest[3:]
        res = emu.by_group_res.get((group, resource))
        if res is None or version not in res.versions or extra or (ns is not None and not res.namespaced):
            if json_404:
                raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
            raise not_found_text()
        if sub is not None and sub not in res.subresources:
            if json_404:
                raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
            raise not_found_text()
        if res.namespaced and ns is None and name is not None:
            raise not_found_text()
        collection = name is None
        verb = {"GET": "list" if collection else "get", "HEAD": "list" if collection else "get", "POST": "create",
                "PUT": "update", "PATCH": "patch", "DELETE": "deletecollection" if collection else "delete"}.get(method)
        if verb == "list" and self.query.get("watch", [""])[-1] in ("true", "1"):
            verb = "watch"
        if verb is None or verb not in res.verbs or (collection and verb in ("update", "patch")) or \
                (not collection and verb == "create"):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                           {})
        self.authorize(verb, res, ns, name)
        with emu.lock:
            if verb == "get":
                return self.op_get(res, version, ns, name, sub)
            if verb == "list":
                return self.op_list(res, version, ns)
            if verb == "create":
                return self.op_create(res, version, ns)
            if verb == "update":
                return self.op_update(res, version, ns, name, sub)
            if verb == "patch":
                return self.op_patch(res, version, ns, name, sub)
            if verb == "delete":
                return self.op_delete(res, version, ns, name)
            if verb == "deletecollection":
                return self.op_deletecollection(res, version, ns)
        if verb == "watch":
            return self.op_watch(res, version, ns)

    def authorize(self, verb, res, ns, name):
        if self.user in ("admin", "cert-admin"):
            return
        if self.user == "readonly" and verb in READ_VERBS:
            return
        subject = (res.qualified + " " + gostr(name)) if name else res.qualified
        scope = ('in the namespace %s' % gostr(ns)) if ns else "at the cluster scope"
        if not res.namespaced and name and res.resource == "namespaces":
            scope = "at the cluster scope"
        msg = '%s is forbidden: User %s cannot %s resource %s in API group %s %s' % (
            subject, gostr(self.user), verb, gostr(res.resource), gostr(res.group), scope)
        raise ApiError(403, "Forbidden", msg, details_for(res, name))

    # ---- options
    def check_dry_run(self, opts_kind):
        vals = self.query.get("dryRun", [])
        bad = [v for v in vals if v != "All"]
        if bad:
            raise err_options_invalid(opts_kind, [FieldError("NotSupported", "dryRun", raw_value="[]string{%s}" % ", ".join(
                gostr(v) for v in vals), detail='supported values: "All"')])

    def field_manager(self, required=False, opts_kind="PatchOptions"):
        fm = self.query.get("fieldManager", [""])[-1]
        if fm:
            if len(fm) > 128:
                raise err_options_invalid(opts_kind, [FieldError("TooLong", "fieldManager",
                                                                 detail="may not be more than 128 bytes")])
            return fm
        if required:
            raise err_options_invalid(opts_kind, [FieldError("Required", "fieldManager",
                                                             detail="is required for apply patch")])
        ua = self.headers.get("User-Agent") or ""
        return ua.split("/")[0] if ua else "unknown"

    def field_validation(self):
        v = self.query.get("fieldValidation", ["Warn"])[-1] or "Warn"
        if v not in ("Ignore", "Warn", "Strict"):
            raise err_bad_request('fieldValidation must be one of "Ignore", "Warn", or "Strict"; got %s' % gostr(v))
        return v

    def parse_json_body(self, res):
        if (self.headers.get("Content-Type") or "").startswith("application/vnd.kubernetes.protobuf"):
            try:
                return protobuf_to_json(self.body)
            except (ValueError, IndexError, UnicodeDecodeError) as e:
                raise err_bad_request("the body of the request was in an unknown format - %s" % e)
        try:
            obj = json.loads(self.body.decode("utf-8") if self.body else "")
        except (ValueError, UnicodeDecodeError):
            text = self.body.decode("utf-8", "replace")
            if text.strip() and text.strip()[0] not in "{[":
                try:
                    obj = parse_yaml(text)
                    if isinstance(obj, dict):
                        return obj
                except (ValueError, IndexError):
                    pass
            raise err_bad_request("couldn't get version/kind; json parse error: " + go_json_syntax_error(text))
        if not isinstance(obj, dict):
            raise err_bad_request("couldn't get version/kind; json parse error: json: cannot unmarshal %s into Go "
                                  "value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; "
                                  "Kind string \"json:\\\"kind,omitempty\\\"\" }" % go_type_name(obj))
        return obj

    def decode(self, obj, res, version, ns, strictness):
        """Type checks, apiVersion/kind checks, unknown fields (warn, strict error, or CRD pruning)."""
        want_av = res.api_version(version)
        av, kind = obj.get("apiVersion"), obj.get("kind")
        if res.crd:
            if av and av != want_av:
                if av.split("/")[0] == res.group:
                    self.warnings.extend("unknown field %s" % gostr(k) for k in obj
                                         if k not in ("apiVersion", "kind", "metadata"))
                raise err_bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                                      % (av, want_av))
            if kind and kind != res.kind:
                raise err_bad_request("the kind in the data (%s) does not match the expected kind (%s)" % (kind, res.kind))
        else:
            if (av and av != "v1") or (kind and kind != res.kind):
                raise err_bad_request("%s in version \"v1\" cannot be handled as a %s: no kind %s is registered "
                                      "for version %s" % (res.kind, res.kind, gostr(kind), gostr(av or "v1")))
        unknown = check_typed(obj, res)
        crd_warn = []
        if res.crd and res.resource == "backendtlspolicies":
            prune_unknown(obj, BTLS_SCHEMA.get(version, "*") if isinstance(BTLS_SCHEMA.get(version), dict) else "*",
                          "", crd_warn)
            crd_warn = [w for w in crd_warn if not w.startswith('unknown field "metadata')]
        if unknown or crd_warn:
            fields = unknown + [json.loads(w[len("unknown field "):]) for w in crd_warn]
            if strictness == "Strict":
                if len(fields) == 1:
                    raise err_bad_request('%s in version "%s" cannot be handled as a %s: strict decoding error: unknown '
                                          'field %s' % (res.kind, version, res.kind, gostr(fields[0])))
                raise err_bad_request('%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                                      % (res.kind, version, res.kind,
                                         ", ".join("unknown field %s" % gostr(f) for f in fields)))
            if strictness == "Warn":
                self.warnings.extend("unknown field %s" % gostr(f) for f in fields)
            drop_unknown(obj, unknown)
        obj["apiVersion"] = want_av
        obj["kind"] = res.kind
        obj.setdefault("metadata", {})
        if obj["metadata"] is None:
            obj["metadata"] = {}
        return obj

    def check_namespace(self, res, ns, obj, name, creating=True):
        if not res.namespaced:
            return
        md = obj["metadata"]
        if md.get("namespace") and md["namespace"] != ns:
            raise err_bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
        md["namespace"] = ns
        st = self.server.emu.namespace_state(ns)
        if st is None:
            raise ApiError(404, "NotFound", "namespaces %s not found" % gostr(ns), {"name": ns, "kind": "namespaces"})
        if st == "Terminating" and creating:
            d = details_for(res, name)
            d["causes"] = [{"reason": "NamespaceTerminating", "message": "namespace %s is being terminated" % ns,
                            "field": "metadata.namespace"}]
            raise ApiError(403, "Forbidden", "%s %s is forbidden: unable to create new content in namespace %s because "
                           "it is being terminated" % (res.qualified, gostr(name), ns), d)

    def invalid(self, res, name, errs):
        return err_invalid(res.qualified_kind, res.group, name, errs)

    # ---- reads
    def op_get(self, res, version, ns, name, sub):
        emu = self.server.emu
        obj = emu.store[(res.group, res.resource)].get((ns or "", name))
        if obj is None:
            raise err_not_found(res, name)
        out = emu.render(obj, res, version, shared=True)
        tv = wants_table(self.headers.get("Accept"))
        if tv:
            return self.send_obj(200, self.table([out], res, tv, out["metadata"].get("resourceVersion")))
        return self.send_obj(200, out)

    def selected(self, res, ns):
        emu = self.server.emu
        ls = LabelSelector(self.query.get("labelSelector", [""])[-1])
        fs = FieldSelector(self.query.get("fieldSelector", [""])[-1], res)
        items = []
        for (ons, oname), obj in sorted(emu.store[(res.group, res.resource)].items()):
            if ns is not None and ons != ns:
                continue
            if not ls.matches((obj.get("metadata") or {}).get("labels")) or not fs.matches(obj):
                continue
            items.append(((ons, oname), obj))
        has_selector = bool(ls.reqs or fs.reqs)
        return items, has_selector

    def op_list(self, res, version, ns):
        emu = self.server.emu
        items, has_selector = self.selected(res, ns)
        limit = self.query.get("limit", ["0"])[-1]
        try:
            limit = int(limit or 0)
        except ValueError:
            limit = 0
        cont = self.query.get("continue", [""])[-1]
        cluster_wide = ns is None and res.namespaced
        if cont:
            start = decode_continue(cont)
            items = [(k, o) for k, o in items if key_of(k, cluster_wide) >= start]
        meta = {"resourceVersion": str(emu.rv)}
        if limit > 0 and len(items) > limit:
            last_key = key_of(items[limit - 1][0], cluster_wide)
            rest_count = len(items) - limit
            if has_selector:
                all_keys = [key_of(k, cluster_wide) for k in emu.store[(res.group, res.resource)]
                            if ns is None or k[0] == ns]
                more = any(k > last_key for k in all_keys)
            else:
                more = True
            items = items[:limit]
            if more:
                meta["continue"] = encode_continue(emu.rv, last_key + "\x00")
                if not has_selector:
                    meta["remainingItemCount"] = rest_count
        elif limit > 0 and has_selector and items:
            pass
        rendered = [emu.render(o, res, version, shared=True) for _, o in items]
        tv = wants_table(self.headers.get("Accept"))
        if tv:
            t = self.table(rendered, res, tv, meta["resourceVersion"])
            if "continue" in meta:
                t["metadata"]["continue"] = meta["continue"]
            return self.send_obj(200, t)
        return self.send_obj(200, list_object(res, version, rendered, meta))

    def table(self, objs, res, tv, rv):
        rows = []
        for o in objs:
            md = {k: v for k, v in o["metadata"].items() if k != "managedFields"}
            rows.append({"cells": table_cells(o, res), "object": {
                "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/" + tv, "metadata": md}})
        return {"kind": "Table", "apiVersion": "meta.k8s.io/" + tv, "metadata": {"resourceVersion": rv},
                "columnDefinitions": table_columns(res), "rows": rows}

    def op_watch(self, res, version, ns):
        emu = self.server.emu
        try:
            timeout = float(self.query.get("timeoutSeconds", ["1800"])[-1] or 1800)
        except ValueError:
            timeout = 1800
        rv = self.query.get("resourceVersion", [""])[-1]
        with emu.lock:
            items, _ = self.selected(res, ns)
            snap = {k: o for k, o in items}
            initial = [] if rv not in ("", "0") else [emu.render(o, res, version) for _, o in items]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.record(200)
        tv = wants_table(self.headers.get("Accept"))

        def emit(typ, obj):
            if tv:
                obj = self.table([obj], res, tv, (obj.get("metadata") or {}).get("resourceVersion", ""))
            data = (json.dumps({"type": typ, "object": obj}, separators=(",", ":")) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        try:
            for o in initial:
                emit("ADDED", o)
            end = time.time() + timeout
            while time.time() < end and not getattr(self.server, "stopping", False):
                time.sleep(0.1)
                with emu.lock:
                    items, _ = self.selected(res, ns)
                    cur = {k: o for k, o in items}
                    events = []
                    for k, o in cur.items():
                        if k not in snap:
                            events.append(("ADDED", emu.render(o, res, version)))
                        elif snap[k]["metadata"]["resourceVersion"] != o["metadata"]["resourceVersion"]:
                            events.append(("MODIFIED", emu.render(o, res, version)))
                    for k, o in snap.items():
                        if k not in cur:
                            gone = emu.render(o, res, version)
                            gone["metadata"]["resourceVersion"] = str(emu.rv)
                            events.append(("DELETED", gone))
                    snap = cur
                for typ, o in events:
                    emit(typ, o)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


def _invalid_resource(res, name, errs):
    e = err_invalid(res.qualified, res.group, name, errs)
    e.details["kind"] = res.resource
    return e


def key_of(k, cluster_wide):
    ns, name = k
    return (ns + "/" + name) if cluster_wide else name


def encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token):
    pad = "=" * (-len(token) % 4)
    try:
        raw = base64.urlsafe_b64decode(token + pad)
        if not re.fullmatch(r"[A-Za-z0-9_\-]*", token):
            raise ValueError
    except (ValueError, TypeError):
        raise err_bad_request("invalid continue token: continue key is not valid: illegal base64 data at input byte %d"
                              % next((i for i, c in enumerate(token) if not (c.isalnum() or c in "-_")), 0))
    text = raw.decode("utf-8", "replace")
    try:
        d = json.loads(text)
    except ValueError:
        raise err_bad_request("invalid continue token: continue key is not valid: " + go_json_syntax_error(text))
    if not isinstance(d, dict) or d.get("v") != "meta.k8s.io/v1":
        raise err_bad_request("invalid continue token: continue key is not valid: incorrect encoded start "
                              "resourceVersion (version meta.k8s.io/v1 required)")
    start = d.get("start") or ""
    if not start:
        raise err_bad_request("invalid continue token: continue key is not valid: encoded start key empty")
    return start.rstrip("\x00") + ("\x00" if start.endswith("\x00") else "")


def list_object(res, version, items, meta):
    if res.crd:
        md = {"continue": meta.get("continue", ""), "resourceVersion": meta["resourceVersion"]}
        if "remainingItemCount" in meta:
            md["remainingItemCount"] = meta["remainingItemCount"]
        return {"apiVersion": res.api_version(version), "items": items, "kind": res.kind + "List", "metadata": md}
    out_items = []
    for o in items:
        o = dict(o)
        o.pop("kind", None)
        o.pop("apiVersion", None)
        out_items.append(o)
    return {"kind": res.kind + "List", "apiVersion": "v1", "metadata": meta, "items": out_items}


class WriteMixin:
    # ---- shared write path
    def finish_new(self, res, version, ns, obj):
        """What storage does on create after validation: identity, allocation, status."""
        emu = self.server.emu
        md = obj["metadata"]
        if md.get("generateName") and not md.get("name"):
            md["name"] = md["generateName"] + "".join(secrets.choice(GENERATE_CHARS) for _ in range(5))
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = now_rfc3339()
        if res.crd:
            md["generation"] = 1
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(k, None)
        if res.kind == "Service":
            spec = obj["spec"]
            if spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None":
                ip = spec.get("clusterIP") or emu.allocate_ip()
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
            elif spec.get("clusterIP") == "None":
                spec["clusterIPs"] = ["None"]
            if spec.get("type") != "ExternalName":
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            obj["status"] = {"loadBalancer": {}}
        elif res.kind == "Namespace":
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif res.kind == "Event":
            obj.setdefault("eventTime", None)
            obj.setdefault("reportingComponent", "")
            obj.setdefault("reportingInstance", "")
        elif res.crd:
            obj.pop("status", None)
        return obj

    def store_obj(self, res, ns, obj):
        emu = self.server.emu
        obj["metadata"]["resourceVersion"] = emu.next_rv()
        obj = canonical(obj, res)
        emu.store[(res.group, res.resource)][(ns or "", obj["metadata"]["name"])] = obj
        if res.kind == "Namespace" and obj.get("status", {}).get("phase") == "Active" and \
                (obj["metadata"]["name"], "kube-root-ca.crt") not in emu.store[("", "configmaps")]:
            emu._root_ca_configmap(obj["metadata"]["name"])
        return obj

    def respond_obj(self, code, res, version, obj):
        emu = self.server.emu
        return self.send_obj(code, emu.render(obj, res, version))

    # ---- create
    def op_create(self, res, version, ns):
        emu = self.server.emu
        self.check_dry_run("CreateOptions")
        strict = self.field_validation()
        manager = self.field_manager(opts_kind="CreateOptions")
        obj = self.decode(self.parse_json_body(res), res, version, ns, strict)
        md = obj["metadata"]
        name = md.get("name") or ""
        self.check_namespace(res, ns, obj, name)
        md.pop("managedFields", None)
        for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            md.pop(k, None)
        apply_defaults(obj, res)
        if res.kind == "Secret":
            self.warnings.extend(secret_warnings(obj))
        empty = json_copy(res.schema.empty)
        mf = update_managed_fields([], empty, obj, res.schema, manager, res.api_version(version))
        errs = validate_object(obj, res, version, None, ns)
        if errs:
            raise self.invalid(res, name, errs)
        key = (ns or "", name)
        if name and key in emu.store[(res.group, res.resource)]:
            raise err_already_exists(res, name)
        obj = self.finish_new(res, version, ns, obj)
        if mf:
            obj["metadata"]["managedFields"] = mf
        if self.dry_run:
            obj["metadata"]["resourceVersion"] = ""
            del obj["metadata"]["resourceVersion"]
            return self.send_obj(201, emu.render(canonical(obj, res), res, version))
        obj = self.store_obj(res, ns, obj)
        return self.respond_obj(201, res, version, obj)

    # ---- update (PUT)
    def op_update(self, res, version, ns, name, sub):
        emu = self.server.emu
        self.check_dry_run("UpdateOptions")
        strict = self.field_validation()
        manager = self.field_manager(opts_kind="UpdateOptions")
        obj = self.decode(self.parse_json_body(res), res, version, ns, strict)
        md = obj["metadata"]
        if md.get("name") and md["name"] != name:
            raise err_bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                  % (md["name"], name))
        md["name"] = name
        if res.namespaced:
            if md.get("namespace") and md["namespace"] != ns:
                raise err_bad_request("the namespace of the provided object does not match the namespace sent on "
                                      "the request")
            md["namespace"] = ns
        old = emu.store[(res.group, res.resource)].get((ns or "", name))
        if old is None:
            raise err_not_found(res, name)
        rv = md.get("resourceVersion")
        if not rv and res.crd:
            raise _invalid_resource(res, name, [FieldError("Invalid", "metadata.resourceVersion", raw_value="0x0",
                                                           detail="must be specified for an update")])
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise err_conflict(res, name)
        apply_defaults(obj, res)
        return self.write_update(res, version, ns, name, old, obj, manager, sub=sub)

    def write_update(self, res, version, ns, name, old, new, manager, sub=None, operation="Update",
                     managed=None, created=False):
        emu = self.server.emu
        md = new["metadata"]
        omd = old["metadata"]
        for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generateName"):
            if k in omd:
                md[k] = omd[k]
            else:
                md.pop(k, None)
        md.pop("resourceVersion", None)
        if sub == "status":
            keep = {k: v for k, v in old.items() if k != "status"}
            keep["status"] = new.get("status", {})
            keep["metadata"] = json_copy(omd)
            new = keep
        else:
            if res.kind == "Service" or res.crd or res.kind == "Namespace":
                if "status" in old:
                    new["status"] = json_copy(old["status"])
                else:
                    new.pop("status", None)
            if res.kind == "Service":
                ospec, nspec = old.get("spec") or {}, new.setdefault("spec", {})
                for k in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                    if k in ospec and not nspec.get(k) and nspec.get("type") != "ExternalName":
                        nspec[k] = json_copy(ospec[k])
            if res.kind == "Namespace":
                new["spec"] = json_copy(old.get("spec") or {})
        if res.kind == "Secret":
            self.warnings.extend(secret_warnings(new))
        errs = validate_object(new, res, version, old, ns)
        if errs:
            raise self.invalid(res, name, errs)
        old_cmp = {k: v for k, v in old.items()}
        old_cmp["metadata"] = {k: v for k, v in omd.items() if k != "managedFields"}
        new_cmp = {k: v for k, v in new.items()}
        new_cmp["metadata"] = {k: v for k, v in md.items() if k != "managedFields"}
        if managed is None:
            managed = update_managed_fields(json_copy(omd.get("managedFields") or []), old_cmp, new_cmp,
                                            res.schema, manager, res.api_version(version), operation)
        new_wo = dict(new_cmp)
        new_wo["metadata"] = {k: v for k, v in new_cmp["metadata"].items() if k != "resourceVersion"}
        old_wo = dict(old_cmp)
        old_wo["metadata"] = {k: v for k, v in old_cmp["metadata"].items() if k != "resourceVersion"}
        if managed:
            md["managedFields"] = managed
        else:
            md.pop("managedFields", None)
        same_content = canonical(json_copy(new_wo), res) == canonical(json_copy(old_wo), res)
        same_mf = _mf_sans_time(omd.get("managedFields")) == _mf_sans_time(md.get("managedFields"))
        if same_content and same_mf:
            return self.respond_obj(201 if created else 200, res, version, old)
        if same_content:
            md["managedFields"] = _keep_times(omd.get("managedFields"), md.get("managedFields"))
        if res.crd and "generation" in md:
            strip = lambda o: {k: v for k, v in o.items() if k not in ("metadata", "status")}  # noqa: E731
            if strip(new) != strip(old):
                md["generation"] = omd.get("generation", 1) + 1
        if self.dry_run:
            md["resourceVersion"] = omd["resourceVersion"]
            return self.send_obj(200, emu.render(canonical(new, res), res, version))
        new = self.store_obj(res, ns, new)
        if md.get("deletionTimestamp") and not md.get("finalizers") and res.kind != "Namespace":
            del emu.store[(res.group, res.resource)][(ns or "", name)]
            emu.next_rv()
        return self.respond_obj(200, res, version, new)


def _mf_sans_time(entries):
    return [{k: v for k, v in e.items() if k != "time"} for e in entries or []]


def _keep_times(old, new):
    om = {manager_key(e): e.get("time") for e in old or []}
    out = []
    for e in new or []:
        e = dict(e)
        if manager_key(e) in om and om[manager_key(e)]:
            e["time"] = om[manager_key(e)]
        out.append(e)
    return out


class PatchMixin:
    def op_patch(self, res, version, ns, name, sub):
        emu = self.server.emu
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if res.crd and ctype == "application/strategic-merge-patch+json" or \
                (res.crd and ctype not in PATCH_TYPES and ctype != "application/apply-patch+cbor"):
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted "
                           "media types include: application/json-patch+json, application/merge-patch+json, "
                           "application/apply-patch+yaml", {})
        if ctype not in PATCH_TYPES:
            raise ApiError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {})
        self.check_dry_run("PatchOptions")
        force = self.query.get("force", [""])[-1]
        is_apply = ctype == "application/apply-patch+yaml"
        if force and not is_apply:
            raise err_options_invalid("PatchOptions", [FieldError("Forbidden", "force",
                                                                  detail="may not be specified for non-apply patch")])
        strict = self.field_validation()
        manager = self.field_manager(required=is_apply)
        key = (ns or "", name)
        old = emu.store[(res.group, res.resource)].get(key)
        if is_apply:
            return self.op_apply(res, version, ns, name, old, manager, force in ("true", "1"))
        if old is None:
            raise err_not_found(res, name)
        cur = emu.render(old, res, version)
        text = self.body.decode("utf-8", "replace")
        try:
            patch = json.loads(text)
        except ValueError:
            if ctype == "application/json-patch+json":
                raise err_bad_request("error decoding patch: " + go_json_syntax_error(text))
            raise err_bad_request("error decoding patch: " + go_json_syntax_error(text))
        if ctype == "application/json-patch+json":
            if not isinstance(patch, list):
                raise err_bad_request("error decoding patch: json: cannot unmarshal %s into Go value of type "
                                      "[]handlers.jsonPatchOp" % go_type_name(patch))
            try:
                new = json_patch(cur, patch)
            except JSONPatchError:
                raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {})
        elif ctype == "application/merge-patch+json":
            if not isinstance(patch, dict):
                raise err_bad_request("error decoding patch: json: cannot unmarshal %s into Go value of type "
                                      "map[string]interface {}" % go_type_name(patch))
            new = merge_patch(cur, patch)
        else:
            if not isinstance(patch, dict):
                raise err_bad_request("error decoding patch: json: cannot unmarshal %s into Go value of type "
                                      "map[string]interface {}" % go_type_name(patch))
            new = strategic_merge(cur, patch)
        if not isinstance(new, dict):
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {})
        try:
            check_typed(json_copy(new), res)
        except ApiError as e:
            m = re.search(r": (illegal base64 data at input byte \d+|json: .*)$", e.message)
            detail = m.group(1) if m else e.message
            raise ApiError(422, "Invalid", ' "" is invalid: patch: Invalid value: %s: %s' % (gostr(go_json(new)), detail),
                           {"causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: %s: %s" % (
                               gostr(go_json(new)), detail), "field": "patch"}]})
        if (new.get("apiVersion") and new.get("apiVersion") != res.api_version(version)) or \
                (new.get("kind") and new.get("kind") != res.kind):
            raise err_bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                                  % (new.get("apiVersion"), res.api_version(version)))
        nmd = new.get("metadata") or {}
        if nmd.get("name") != name:
            raise err_bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                  % (nmd.get("name"), name))
        if res.namespaced and nmd.get("namespace") != ns:
            raise err_bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
        rv = nmd.get("resourceVersion")
        if rv is not None and rv != old["metadata"]["resourceVersion"]:
            raise err_conflict(res, name)
        if nmd.get("uid") is not None and nmd.get("uid") != old["metadata"].get("uid"):
            raise ApiError(409, "Conflict", "Operation cannot be fulfilled on %s %s: Precondition failed: UID in "
                           "precondition: %s, UID in object meta: %s" % (res.qualified, gostr(name), nmd.get("uid"),
                                                                         old["metadata"].get("uid")),
                           details_for(res, name))
        new = self.decode(new, res, version, ns, "Ignore" if strict != "Strict" else "Strict")
        apply_defaults(new, res)
        return self.write_update(res, version, ns, name, old, new, manager, sub=sub)

    def op_apply(self, res, version, ns, name, old, manager, force):
        emu = self.server.emu
        text = self.body.decode("utf-8", "replace")
        try:
            cfg = parse_yaml(text)
        except (ValueError, IndexError) as e:
            raise err_bad_request("error decoding YAML: %s" % e)
        if not isinstance(cfg, dict):
            raise err_bad_request("error decoding YAML: the body is not an object")
        want = res.api_version(version)
        if cfg.get("apiVersion") != want or cfg.get("kind") != res.kind:
            av = cfg.get("apiVersion") or ""
            g, _, v = av.rpartition("/")
            raise err_bad_request("invalid object type: %s/%s, Kind=%s" % (g, v, cfg.get("kind") or ""))
        cmd = cfg.get("metadata") or {}
        if not isinstance(cmd, dict):
            raise err_bad_request("metadata must be an object")
        if cmd.get("name") and cmd["name"] != name:
            raise err_bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                  % (cmd["name"], name))
        if res.namespaced and cmd.get("namespace") and cmd["namespace"] != ns:
            raise err_bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
        if cmd.get("managedFields") is not None:
            raise err_bad_request("metadata.managedFields must be nil")
        if res.resource == "backendtlspolicies" and version in BTLS_SCHEMA:
            bad = first_undeclared({k: v for k, v in cfg.items() if k not in ("apiVersion", "kind", "metadata")},
                                   BTLS_SCHEMA[version], "")
            if bad:
                raise ApiError(500, "", "failed to create typed patch object (%s/%s; %s, Kind=%s): %s: field not "
                               "declared in schema" % (cmd.get("namespace", ""), cmd.get("name", ""), want, res.kind,
                                                       bad), {})
        if not res.crd:
            unknown = check_typed(json_copy(cfg), res)
            if unknown:
                raise ApiError(500, "", "failed to create typed patch object (%s/%s; /v1, Kind=%s): .%s: field not "
                               "declared in schema" % (cmd.get("namespace", ""), cmd.get("name", ""), res.kind,
                                                       unknown[0]), {})
        created = old is None
        if created:
            self.check_namespace(res, ns, {"metadata": {"namespace": ns}}, name)
            live = json_copy(res.schema.empty) or {}
            live["apiVersion"], live["kind"] = want, res.kind
            live.setdefault("metadata", {})
            live["metadata"].update({"name": name})
            if res.namespaced:
                live["metadata"]["namespace"] = ns
            entries = []
        else:
            live = emu.render(old, res, version)
            entries = json_copy(live["metadata"].get("managedFields") or [])
            live["metadata"].pop("managedFields", None)
        config = json_copy(cfg)
        config.setdefault("metadata", {})
        config["metadata"]["name"] = name
        if res.namespaced:
            config["metadata"]["namespace"] = ns
        if res.kind == "Secret" and config.get("stringData"):
            sd = config.pop("stringData")
            config.setdefault("data", {})
            for k, v in sd.items():
                config["data"][k] = base64.b64encode((v or "").encode()).decode()
        defaulted_keys = set()
        if res.kind == "Service" and isinstance(config.get("spec"), dict):
            # the list key (port, protocol) uses the schema default for a missing protocol, as SMD does
            for p in config["spec"].get("ports") or []:
                if isinstance(p, dict) and "protocol" not in p:
                    p["protocol"] = "TCP"
                    defaulted_keys.add((("f", "spec"), ("f", "ports"), ("k", _item_key(p, ["port", "protocol"])),
                                        ("f", "protocol")))
        config_set = strip_paths(field_set(config, res.schema)) - defaulted_keys
        merged = ssa_merge(live, config, res.schema)
        mine = next((e for e in entries if e["manager"] == manager and e["operation"] == "Apply"), None)
        last_set = fields_from_v1(mine["fieldsV1"]) if mine else set()
        others = [e for e in entries if e is not mine]
        owned_by_others = set()
        for e in others:
            owned_by_others |= fields_from_v1(e["fieldsV1"])
        for p in sorted(last_set - config_set, key=len, reverse=True):
            if p not in owned_by_others:
                remove_path(merged, p)
        added, modified, removed = compare(live, merged, res.schema)
        changed = strip_paths(added | modified)
        removed = strip_paths(removed)
        conflicts = []
        for e in others:
            s = fields_from_v1(e["fieldsV1"])
            c = s & changed
            if c:
                conflicts.append((e, c))
        if conflicts and not force:
            raise apply_conflict_error(conflicts)
        out = []
        for e in others:
            s = fields_from_v1(e["fieldsV1"])
            s2 = s - changed - removed  # conflicts were refused above unless forced
            if s2 != s:
                e = dict(e, fieldsV1=fields_to_v1(s2))
            if s2:
                out.append(e)
        when = None
        if mine is not None and fields_from_v1(mine["fieldsV1"]) == config_set:
            when = mine.get("time")
        if config_set:
            out.append(Emulator._mf_entry(manager, "Apply", want, config_set, when))
        managed = sort_managed_fields(out)
        new = self.decode(json_copy(merged), res, version, ns, "Ignore")
        apply_defaults(new, res)
        if created:
            nmd = new["metadata"]
            errs = validate_object(new, res, version, None, ns)
            if errs:
                raise self.invalid(res, name, errs)
            if res.kind == "Secret":
                self.warnings.extend(secret_warnings(new))
            new = self.finish_new(res, version, ns, new)
            if managed:
                nmd["managedFields"] = managed
            if self.dry_run:
                return self.send_obj(201, emu.render(canonical(new, res), res, version))
            new = self.store_obj(res, ns, new)
            return self.respond_obj(201, res, version, new)
        return self.write_update(res, version, ns, name, old, new, manager, operation="Apply", managed=managed)

    # ---- delete
    def op_delete(self, res, version, ns, name):
        emu = self.server.emu
        self.check_dry_run("DeleteOptions")
        opts = {}
        if self.body.startswith(b"k8s\x00"):
            try:
                unk = pb_decode(self.body[4:], "Unknown")
                opts = pb_decode(unk.get("raw", b""), "DeleteOptions")
            except (ValueError, IndexError, UnicodeDecodeError):
                opts = {}
        elif self.body.strip():
            try:
                opts = json.loads(self.body)
            except ValueError:
                raise err_bad_request("error decoding DeleteOptions: " + go_json_syntax_error(self.body.decode(
                    "utf-8", "replace")))
        if "All" in (opts.get("dryRun") or []):
            self.dry_run = True
        key = (ns or "", name)
        obj = emu.store[(res.group, res.resource)].get(key)
        if obj is None:
            raise err_not_found(res, name)
        pre = opts.get("preconditions") or {}
        if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", "Operation cannot be fulfilled on %s %s: the ResourceVersion in the "
                           "precondition (%s) does not match the ResourceVersion in record (%s). The object might "
                           "have been modified" % (res.qualified_kind, gostr(name), pre["resourceVersion"],
                                                   obj["metadata"]["resourceVersion"]),
                           {"name": name, "group": res.group, "kind": res.qualified_kind}
                           if res.group else {"name": name, "kind": res.kind})
        if pre.get("uid") and pre["uid"] != obj["metadata"].get("uid"):
            raise ApiError(409, "Conflict", "Operation cannot be fulfilled on %s %s: the UID in the precondition (%s) "
                           "does not match the UID in record (%s). The object might have been deleted and then "
                           "recreated" % (res.qualified_kind, gostr(name), pre["uid"], obj["metadata"].get("uid")),
                           {"name": name, "kind": res.kind})
        if res.kind == "Namespace":
            if name in ("default", "kube-system", "kube-public"):
                raise ApiError(403, "Forbidden", 'namespaces "%s" is forbidden: this namespace may not be deleted'
                               % name, {"name": name, "kind": "namespaces"})
            new = json_copy(obj)
            if not new["metadata"].get("deletionTimestamp"):
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
            new["status"] = {"phase": "Terminating"}
            if self.dry_run:
                return self.respond_obj(200, res, version, new)
            new = self.store_obj(res, ns, new)
            t = threading.Timer(1.0, finalize_namespace, (emu, name))
            t.daemon = True
            t.start()
            return self.respond_obj(200, res, version, new)
        if obj["metadata"].get("finalizers"):
            # finalizers keep the object, marked for deletion, until whoever owns them removes them
            new = json_copy(obj)
            if not new["metadata"].get("deletionTimestamp"):
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
            if self.dry_run:
                return self.respond_obj(200, res, version, new)
            new = self.store_obj(res, ns, new)
            return self.respond_obj(200, res, version, new)
        if not self.dry_run:
            del emu.store[(res.group, res.resource)][key]
            emu.next_rv()
        d = details_for(res, name)
        d["uid"] = obj["metadata"].get("uid", "")
        return self.send_obj(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                   "details": d})

    def op_deletecollection(self, res, version, ns):
        emu = self.server.emu
        self.check_dry_run("DeleteOptions")
        items, _ = self.selected(res, ns)
        rendered = [emu.render(o, res, version) for _, o in items]
        if not self.dry_run:
            for k, _ in items:
                del emu.store[(res.group, res.resource)][k]
            emu.next_rv()
        return self.send_obj(200, list_object(res, version, rendered, {"resourceVersion": str(emu.rv)}))


def finalize_namespace(emu, name):
    with emu.lock:
        for (g, r), objs in emu.store.items():
            if r == "namespaces":
                continue
            for k in [k for k in objs if k[0] == name]:
                del objs[k]
        emu.store[("", "namespaces")].pop(("", name), None)
        emu.next_rv()


def apply_conflict_error(conflicts):
    flat = []
    for e, paths in conflicts:
        for p in sorted(paths, key=path_string):
            flat.append((manager_key(e), e, p))
    flat.sort(key=lambda x: (x[0], path_string(x[2])))
    causes = [{"reason": "FieldManagerConflict", "message": "conflict with " + print_manager(e),
               "field": path_string(p)} for _, e, p in flat]
    if len(flat) == 1:
        msg = "Apply failed with 1 conflict: conflict with %s: %s" % (print_manager(flat[0][1]), path_string(flat[0][2]))
    else:
        parts = []
        seen = []
        for k, e, p in flat:
            if k not in seen:
                seen.append(k)
                parts.append("conflicts with %s:" % print_manager(e))
            parts.append("- %s" % path_string(p))
        msg = "Apply failed with %d conflicts: %s" % (len(flat), "\n".join(parts))
    return ApiError(409, "Conflict", msg, {"causes": causes})


# ------------------------------------------------------------------ server

class RequestHandler(PatchMixin, WriteMixin, ApiMixin, Handler):
    pass


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    max_idle_threads = 16

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._idle = []  # queues of the threads waiting for their next connection
        self._idle_lock = threading.Lock()

    def process_request(self, request, client_address):
        """ThreadingMixIn's thread per connection, except that a thread whose connection has ended waits for the
        next one instead of exiting: a new connection wakes an idle thread (tens of microseconds) rather than
        starting one (over a tenth of a millisecond) in front of its handshake."""
        with self._idle_lock:
            q = self._idle.pop() if self._idle else None
        if q is not None:
            q.put((request, client_address))
            return
        threading.Thread(target=self._serve_connections, args=(request, client_address), daemon=True).start()

    def _serve_connections(self, request, client_address):
        q = queue.SimpleQueue()
        while True:
            self.process_request_thread(request, client_address)
            with self._idle_lock:
                if len(self._idle) >= self.max_idle_threads:
                    return
                self._idle.append(q)
            request, client_address = q.get()

    def finish_request(self, request, client_address):
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request.settimeout(30)
            conn = self.ctx.wrap_socket(request, server_side=True)
            conn.settimeout(RequestHandler.timeout)
        except (ssl.SSLError, OSError):
            try:
                request.close()
            except OSError:
                pass
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


def write_file(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def kubeconfig_text(url, ca_b64, user, user_fields):
    lines = ["apiVersion: v1", "kind: Config", "clusters:", "- name: emulator", "  cluster:",
             "    server: " + url, "    certificate-authority-data: " + ca_b64,
             "contexts:", "- name: emulator", "  context:", "    cluster: emulator", "    user: " + user,
             "    namespace: default", "current-context: emulator", "preferences: {}", "users:", "- name: " + user,
             "  user:"]
    lines += ["    %s: %s" % (k, v) for k, v in user_fields]
    return "\n".join(lines) + "\n"


def main(argv=None, certs_proc=None, certs_dir=None):
    ap = argparse.ArgumentParser(description="Kubernetes API server emulator for tests")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--gateway-versions", default="v1alpha3", choices=sorted(GATEWAY_SETUPS))
    args = ap.parse_args(argv)
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    if certs_proc is None or certs_dir != d:
        certs_proc = start_certs(d)
    finish_certs(d, certs_proc)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # The chain given whole (server certificate, then the CA): the Certificate message OpenSSL would otherwise
    # build from the trust store on every handshake (a store search and a signature check each time).
    chain = os.path.join(d, ".server-chain.crt")
    with open(os.path.join(d, "server.crt")) as f, open(os.path.join(d, "ca.crt")) as g:
        write_file(chain, f.read().rstrip("\n") + "\n" + g.read())
    ctx.load_cert_chain(chain, os.path.join(d, "server.key"))
    os.unlink(chain)
    ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.num_tickets = 1  # what Go's crypto/tls (kube-apiserver) sends after a TLS 1.3 handshake; OpenSSL's default is 2
    server = TLSServer(("127.0.0.1", args.port), RequestHandler)
    server.ctx = ctx
    port = server.server_address[1]
    url = "https://127.0.0.1:%d" % port
    emu = Emulator(args.gateway_versions, "127.0.0.1:%d" % port)
    with open(os.path.join(d, "ca.crt")) as f:
        emu.ca_pem = f.read()
    for (ns, n), cm in emu.store[("", "configmaps")].items():
        if n == "kube-root-ca.crt":
            cm["data"]["ca.crt"] = emu.ca_pem
    admin_token = secrets.token_hex(24)
    ro_token = secrets.token_hex(24)
    emu.tokens = {admin_token: "admin", ro_token: "readonly"}
    server.emu = emu
    ca_b64 = base64.b64encode(emu.ca_pem.encode()).decode()
    with open(os.path.join(d, "client.crt")) as f:
        crt_b64 = base64.b64encode(f.read().encode()).decode()
    with open(os.path.join(d, "client.key")) as f:
        key_b64 = base64.b64encode(f.read().encode()).decode()
    write_file(os.path.join(d, "admin-token"), admin_token + "\n")
    write_file(os.path.join(d, "readonly-token"), ro_token + "\n")
    write_file(os.path.join(d, "kubeconfig"), kubeconfig_text(url, ca_b64, "admin", [("token", admin_token)]))
    write_file(os.path.join(d, "kubeconfig-readonly"), kubeconfig_text(url, ca_b64, "readonly",
                                                                       [("token", ro_token)]))
    write_file(os.path.join(d, "kubeconfig-cert"), kubeconfig_text(url, ca_b64, "cert-admin", [
        ("client-certificate-data", crt_b64), ("client-key-data", key_b64)]))
    write_file(os.path.join(d, "url"), url + "\n", 0o644)
    write_file(os.path.join(d, "pid"), "%d\n" % os.getpid(), 0o644)
    emu.log_file = open(os.path.join(d, "requests.log"), "w", buffering=1)

    def stop(signum, frame):
        server.stopping = True
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready " + url, flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        server.server_close()
        emu.log_file.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
