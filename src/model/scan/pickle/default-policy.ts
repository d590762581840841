import { ALLOW, DENY } from './known-globals.js';
import type { GlobalClass, GlobalPolicy } from './policy.js';

/**
 * Python 2 module names that Python 3's unpickler maps for protocols < 3 (`fix_imports`, Lib/_compat_pickle.py).
 * A pickle can say `__builtin__ eval` and get `builtins.eval`, so names are classified after this mapping.
 */
const PY2_MODULES: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  exceptions: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  commands: 'subprocess',
  urllib2: 'urllib.request',
  httplib: 'http.client',
  SocketServer: 'socketserver',
  thread: '_thread',
  dummy_thread: '_dummy_thread',
  cStringIO: 'io',
  StringIO: 'io',
  UserDict: 'collections',
  UserList: 'collections',
  Queue: 'queue',
  __main__: '__main__',
};

/** Dunder names that ordinary pickles import directly (not as attribute walks). */
const BENIGN_DUNDERS = new Set(['copyreg.__newobj__', 'copyreg.__newobj_ex__']);

const isDunder = (part: string): boolean => part.length > 4 && part.startsWith('__') && part.endsWith('__');

/**
 * Classification of `module` + `name`, in this order:
 * 1. a dunder attribute walk (`x.__class__`, `y.__globals__`) reaches anything → dangerous;
 * 2. a denied module or name, at the module itself or anywhere the dotted name walks through (protocol 4
 *    `find_class` walks attributes, so `logging` + `os.system` is `os.system`) → dangerous;
 * 3. an exact allowlist entry → safe; a wildcard allowlist module with a plain (undotted) name → safe;
 * 4. anything else → unknown.
 */
export function classifyGlobal(module: string, name: string, extraAllow: ReadonlySet<string> = new Set()): GlobalClass {
  const mod = PY2_MODULES[module] ?? module;
  const modParts = mod.split('.');
  const nameParts = name.split('.');
  const path = [...modParts, ...nameParts];
  const full = path.join('.');

  if (nameParts.some(isDunder) && !BENIGN_DUNDERS.has(full)) {
    return { kind: 'dangerous', why: `walks a dunder attribute (${name}), which reaches arbitrary objects` };
  }
  // Position 0 is the module as imported; later positions are modules reached by walking attributes of the name.
  for (let j = 0; j < path.length; j++) {
    if (j > 0 && j < modParts.length) continue;
    const hit = denied(path.slice(j));
    if (hit !== undefined) return { kind: 'dangerous', why: j === 0 ? hit : `reaches ${path.slice(j).join('.')} through attributes: ${hit}` };
  }
  if (extraAllow.has(full)) return { kind: 'safe' };
  for (let i = path.length - 1; i >= 1; i--) {
    const entry = ALLOW[path.slice(0, i).join('.')];
    if (entry === undefined) continue;
    const rest = path.slice(i);
    if (entry === '*' ? nameParts.length === 1 : rest.length === 1 && entry.includes(rest[0]!)) return { kind: 'safe' };
  }
  for (const pattern of extraAllow) {
    if (pattern.endsWith('.*') && nameParts.length === 1 && (mod === pattern.slice(0, -2) || mod.startsWith(pattern.slice(0, -1)))) {
      return { kind: 'safe' };
    }
  }
  return { kind: 'unknown' };
}

function denied(parts: string[]): string | undefined {
  for (let i = parts.length; i >= 1; i--) {
    const entry = DENY[parts.slice(0, i).join('.')];
    if (entry === undefined) continue;
    if (entry.names === '*') return entry.why;
    const rest = parts.slice(i).join('.');
    if (rest !== '' && entry.names.some((n) => rest === n || rest.startsWith(`${n}.`))) return entry.why;
  }
  return undefined;
}

/**
 * The built-in policy, optionally extended by the config's `scan.allow` (exact `module.name` entries, or
 * `module.*` for every plain name in a module and its submodules). Denied globals stay denied.
 */
export function defaultPolicy(allow: readonly string[] = []): GlobalPolicy {
  const extra = new Set(allow);
  const cache = new Map<string, GlobalClass>();
  return {
    classify(module, name) {
      const key = `${module}\n${name}`;
      let c = cache.get(key);
      if (c === undefined) {
        c = classifyGlobal(module, name, extra);
        if (cache.size < 10_000) cache.set(key, c);
      }
      return c;
    },
  };
}
