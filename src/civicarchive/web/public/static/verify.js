// Check a civicarchive inclusion proof in the browser: docs/proof-format.md, every rule,
// in the order of its rule table, like docs/examples/verify_proof.py. It needs nothing
// but the browser: Web Crypto for SHA-256 and Ed25519. Tested against every proof in
// docs/proof-vectors/ (tests/public/test_verify_js.py).
"use strict";
(function (root) {
  const FORMAT = "civicarchive-inclusion-proof/1";
  const MEMBERS = ["audit_path", "checkpoint", "content", "entry", "format", "leaf_index",
                   "public_key", "tree_size", "version_id"];
  const BODY_LINES = {"civicarchive checkpoint v1": ["origin", "size", "root", "time"],
                      "civicarchive checkpoint v2": ["origin", "size", "root", "time",
                                                     "number", "previous"]};
  const MAX = 2n ** 53n - 1n;
  const L = 2n ** 252n + 27742317777372353535851937790883648493n; // Ed25519 group order
  const KINDS = ["post", "comment", "reply", "message", "media", "profile"];
  const EVENTS = ["created", "edited", "deleted", "hidden", "unhidden", "restored"];
  const HEX64 = /^[0-9a-f]{64}$/;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const DECIMAL = /^(0|[1-9][0-9]*)$/;
  const POSITIVE = /^[1-9][0-9]*$/;
  const TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{6}Z$/;

  class Invalid extends Error {
    constructor(rule, reason) { super(`${reason} (rule ${rule})`); this.rule = rule; }
  }
  function check(condition, rule, reason) { if (!condition) throw new Invalid(rule, reason); }

  // A JSON number, kept as written: 1, 1.0, 1e0 (and 0, -0) are different texts, and only
  // the first (of each) is a JSON integer.
  class Num { constructor(text) { this.text = text; } }
  const isInt = (v) => v instanceof Num && /^(0|-?[1-9][0-9]*)$/.test(v.text);
  const big = (v) => BigInt(v.text);

  // Strict JSON (RFC 8259): no member named twice, nothing but JSON.
  function parse(text, where, rule) {
    let at = 0, depth = 0;
    const bad = (what) => new Invalid(rule, `${where} is not JSON: ${what} at ${at}`);
    const space = () => { while (" \t\n\r".includes(text[at]) && at < text.length) at++; };
    function value() {
      space();
      const c = text[at];
      if (c === "{" || c === "[") {
        if (++depth > 500) throw bad("too deep");
        const found = c === "{" ? object() : array();
        depth--;
        return found;
      }
      if (c === '"') return string();
      for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
        if (text.startsWith(word, at)) { at += word.length; return v; }
      }
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(at));
      if (!m || !m[0] || m[0] === "-") throw bad("unexpected character");
      at += m[0].length;
      return new Num(m[0]);
    }
    function object() {
      at++;
      const pairs = [];
      space();
      if (text[at] === "}") { at++; return {}; }
      for (;;) {
        space();
        if (text[at] !== '"') throw bad("expected a member name");
        const name = string();
        space();
        if (text[at++] !== ":") throw bad("expected ':'");
        pairs.push([name, value()]);
        space();
        const c = text[at++];
        if (c === "}") break;
        if (c !== ",") throw bad("expected ',' or '}'");
      }
      const result = Object.create(null);
      for (const [name, v] of pairs) {
        check(!(name in result), "duplicate-member", `${where} names ${JSON.stringify(name)} twice`);
        result[name] = v;
      }
      return result;
    }
    function array() {
      at++;
      const items = [];
      space();
      if (text[at] === "]") { at++; return items; }
      for (;;) {
        items.push(value());
        space();
        const c = text[at++];
        if (c === "]") return items;
        if (c !== ",") throw bad("expected ',' or ']'");
      }
    }
    function string() {
      const m = /^"((?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"/.exec(
        text.slice(at));
      if (!m) throw bad("malformed string");
      at += m[0].length;
      return m[1].replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e) => e[0] === "u"
        ? String.fromCharCode(parseInt(e.slice(1), 16))
        : {'"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t"}[e]);
    }
    const result = value();
    space();
    if (at !== text.length) throw bad("text after the value");
    checkUnicode(result, where);
    return result;
  }

  const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  function checkUnicode(value, where) {
    const stack = [value];
    while (stack.length) {
      const item = stack.pop();
      if (typeof item === "string") {
        check(!LONE.test(item), "unicode", `${where} holds an unpaired surrogate`);
      } else if (Array.isArray(item)) {
        stack.push(...item);
      } else if (item && typeof item === "object" && !(item instanceof Num)) {
        for (const [k, v] of Object.entries(item)) stack.push(k, v);
      }
    }
  }

  const sameMembers = (obj, names) => obj && typeof obj === "object" && !Array.isArray(obj)
    && !(obj instanceof Num) && JSON.stringify(Object.keys(obj).sort()) === JSON.stringify(names);

  function checkMembers(doc) {
    check(sameMembers(doc, MEMBERS), "members", `the proof must be an object with exactly the members ${MEMBERS.join(", ")}`);
    check(sameMembers(doc.checkpoint, ["body", "signature"]), "members", "checkpoint must be an object with exactly body and signature");
    for (const name of ["format", "entry", "public_key"]) check(typeof doc[name] === "string", "types", `${name} must be a string`);
    for (const name of ["body", "signature"]) check(typeof doc.checkpoint[name] === "string", "types", `checkpoint.${name} must be a string`);
    for (const name of ["version_id", "leaf_index", "tree_size"]) check(isInt(doc[name]), "types", `${name} must be a JSON integer`);
    check(doc.content === null || typeof doc.content === "string", "types", "content must be a string or null");
    check(Array.isArray(doc.audit_path) && doc.audit_path.every((p) => typeof p === "string"), "types", "audit_path must be an array of strings");
    check(doc.format === FORMAT, "format", `format is not ${FORMAT}`);
    const version = big(doc.version_id), size = big(doc.tree_size), index = big(doc.leaf_index);
    check(version >= 1n && version <= MAX, "version-id-range", "version_id is outside 1..2^53-1");
    check(size >= 1n && size <= MAX, "tree-size-range", "tree_size is outside 1..2^53-1");
    check(index >= 0n && index < size, "leaf-index-range", `leaf_index ${index} is outside 0..${size - 1n}`);
    doc.audit_path.forEach((p, n) => check(HEX64.test(p), "audit-path-hex", `audit_path[${n}] is not 64 lower-case hex`));
  }

  function decodeBase64(text, name) {
    check(/^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0, "base64", `${name} is not padded standard base64`);
    const raw = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    check(btoa(String.fromCharCode(...raw)) === text, "base64", `${name} is not canonical base64`);
    return raw;
  }

  function realTime(text) {
    const m = TIME.exec(text);
    if (!m) return false;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    date.setUTCFullYear(y);
    return y >= 1 && h < 24 && mi < 60 && s < 60 && date.getUTCMonth() === mo - 1 &&
      date.getUTCDate() === d;
  }

  function parseBody(body) {
    const lines = body.split("\n"), keywords = BODY_LINES[lines[0]];
    check(keywords !== undefined && lines.length === keywords.length + 2 && lines[lines.length - 1] === "", "body-lines",
      "checkpoint body must be the v1 header and four lines, or the v2 header and six, each ended by LF");
    const fields = {};
    keywords.forEach((keyword, n) => {
      const line = lines[n + 1];
      check(line.startsWith(keyword + " "), "body-lines", `checkpoint line ${JSON.stringify(line.slice(0, 20))} should start with ${keyword} and one space`);
      fields[keyword] = line.slice(keyword.length + 1);
    });
    check(UUID.test(fields.origin), "body-origin", "checkpoint origin is not a UUID");
    check(DECIMAL.test(fields.size), "body-size", "checkpoint size is not decimal digits without leading zeros");
    check(HEX64.test(fields.root), "body-root", "checkpoint root is not 64 hex digits");
    check(realTime(fields.time), "body-time", "checkpoint time is not a real time YYYY-MM-DDTHH:MM:SS.ffffffZ");
    if ("number" in fields) {
      check(POSITIVE.test(fields.number), "body-number", "checkpoint number is not a number from 1 without leading zeros");
      check(HEX64.test(fields.previous), "body-previous", "checkpoint previous is not 64 hex digits");
      check((fields.number === "1") === (fields.previous === "0".repeat(64)), "body-previous",
        "checkpoint previous must be 64 zeros exactly when the number is 1");
    }
    return fields;
  }

  const isText = (v) => typeof v === "string";
  const isTime = (v) => isText(v) && realTime(v);
  const isDigest = (v) => isText(v) && HEX64.test(v);
  const isId = (v) => isInt(v) && big(v) >= 1n && big(v) <= MAX;
  const orNull = (test) => (v) => v === null || test(v);
  const ENTRY = {
    type: (v) => v === "version", version: (v) => isInt(v) && big(v) >= -MAX && big(v) <= MAX,
    item: isId, account: isId, platform: isText, native_id: isText, kind: (v) => KINDS.includes(v),
    parent_native_id: orNull(isText), author: orNull(isText), url: orNull(isText),
    created_at: orNull(isTime), event: (v) => EVENTS.includes(v), observed_at: isTime,
    recorded_at: isTime, content_sha256: isDigest, raw_sha256: isDigest, source: isText,
  };

  // RFC 8785 for what an entry may hold (ASCII names, strings, integers, null): sorted
  // members, no whitespace, strings escaped as JSON.stringify escapes them.
  const canonical = (entry) => "{" + Object.keys(entry).sort().map((k) => {
    const v = entry[k];
    return JSON.stringify(k) + ":" + (v instanceof Num ? String(big(v)) : JSON.stringify(v));
  }).join(",") + "}";

  function readEntry(text) {
    const entry = parse(text, "entry", "entry-json");
    check(entry && typeof entry === "object" && !Array.isArray(entry) && !(entry instanceof Num), "entry-json", "entry is not a JSON object");
    check(entry.type === "version", "entry-type", "the entry is not a version entry");
    check(sameMembers(entry, Object.keys(ENTRY).sort()), "entry-members", "entry does not have exactly the members of a version entry");
    for (const [name, valid] of Object.entries(ENTRY)) check(valid(entry[name]), "entry-members", `entry member ${name} has the wrong form`);
    check(canonical(entry) === text, "entry-canonical", "entry is not RFC 8785 canonical JSON");
    return entry;
  }

  const utf8 = (text) => new TextEncoder().encode(text);
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (text) => Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
  async function sha256(...parts) {
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { joined.set(p, at); at += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
  }

  async function rootFromAuditPath(index, size, leaf, path) { // RFC 9162 section 2.1.3.2
    let fn = index, sn = size - 1n, r = leaf;
    for (const p of path) {
      check(sn !== 0n, "audit-path-length", "audit path is longer than the tree is deep");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await sha256(Uint8Array.of(1), p, r);
        while (fn !== 0n && (fn & 1n) === 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await sha256(Uint8Array.of(1), r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    check(sn === 0n, "audit-path-length", "audit path is shorter than the tree is deep");
    return r;
  }

  async function signatureValid(key, signature, body) {
    // RFC 8032 5.1.7 rejects S >= L; do it here, whatever the browser's library does.
    const s = BigInt("0x" + hex(signature.slice(32).reverse()));
    if (s >= L) return false;
    const imported = await crypto.subtle.importKey("raw", key, {name: "Ed25519"}, false, ["verify"]);
    return crypto.subtle.verify({name: "Ed25519"}, imported, signature, utf8(body));
  }

  // Check a parsed proof; `trusted` is the agency's published key (32 raw bytes) or null.
  // Resolves to what was checked, in plain words; rejects with an Invalid naming the rule.
  async function verify(doc, trusted) {
    checkUnicode(doc, "the proof");
    checkMembers(doc);
    const key = decodeBase64(doc.public_key, "public_key");
    const signature = decodeBase64(doc.checkpoint.signature, "checkpoint.signature");
    check(key.length === 32, "key-length", "public_key is not 32 bytes");
    check(signature.length === 64, "signature-length", "checkpoint.signature is not 64 bytes");
    if (trusted) check(hex(trusted) === hex(key), "key-trusted", "signed with a different key than the published one");
    const body = doc.checkpoint.body;
    check(await signatureValid(key, signature, body), "signature", "checkpoint signature does not verify");
    const fields = parseBody(body);
    const size = big(doc.tree_size), index = big(doc.leaf_index);
    check(fields.size === String(size), "tree-size-match", `tree_size ${size} is not the signed size ${fields.size}`);
    const entry = readEntry(doc.entry);
    check(big(entry.version) === big(doc.version_id), "entry-version", "the entry is not for the version the proof names");
    if (doc.content !== null) {
      check(hex(await sha256(utf8(doc.content))) === entry.content_sha256, "content-hash", "content does not match the entry's content_sha256");
    }
    const leaf = await sha256(Uint8Array.of(0), utf8(doc.entry));
    const root = await rootFromAuditPath(index, size, leaf, doc.audit_path.map(fromHex));
    check(fields.root === hex(root), "root-match", "audit path does not lead to the signed root");
    return {version: String(big(entry.version)), leaf: String(index), size: String(size),
            time: fields.time, keySha256: hex(await sha256(key)), trusted: !!trusted,
            contentIncluded: doc.content !== null, entry: entry};
  }

  // Check the bytes of a proof file.
  async function verifyBytes(bytes, trusted) {
    let text;
    try { text = new TextDecoder("utf-8", {fatal: true, ignoreBOM: true}).decode(bytes); }
    catch (e) { throw new Invalid("json", "the file is not UTF-8"); }
    check(!text.startsWith("\ufeff"), "json", "the file starts with a byte order mark");
    return verify(parse(text, "the file", "json"), trusted);
  }

  root.CivicProof = {verifyBytes, Invalid, decodeBase64};
})(typeof window !== "undefined" ? window : globalThis);
