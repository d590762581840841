import { lexJinja, type CodeRegion, type Token } from './gguf-template-lexer.js';

/**
 * Server-side template injection in GGUF chat templates (CVE-2024-34359, "Llama Drama"): llama-cpp-python rendered
 * `tokenizer.chat_template` with a plain `jinja2.Environment`, so a template could walk
 * `().__class__.__base__.__subclasses__()` to `os.popen` and run commands when the model was loaded for chat.
 *
 * Every such escape needs a Python-internal name: a dunder (`__class__`, `__globals__`…), a private attribute
 * (`_module`), `mro`, or a process API. Ordinary chat templates (ChatML, Llama 3, Mistral, Gemma, Qwen, DeepSeek)
 * use loops, `namespace()`, `raise_exception`, string methods and filters, never these. So the check looks, in the
 * template's code (never its literal text), for those names written directly, spelled in strings, assembled from
 * pieces (`'_'+'_class'`, `'_'*2`, `|join`, `|reverse`, `|replace`, escapes, `%c`), or reached through `|attr` and
 * computed subscripts, the two ways Jinja turns a string into an attribute lookup.
 */

/** Python special names that object-graph escapes walk through (the name between the double underscores). */
const PY_DUNDERS = new Set([
  'class', 'base', 'bases', 'mro', 'subclasses', 'globals', 'builtins', 'builtin', 'init', 'import', 'dict',
  'getattribute', 'getattr', 'setattr', 'delattr', 'code', 'func', 'self', 'module', 'loader', 'spec', 'reduce',
  'reduce_ex', 'call', 'closure', 'qualname', 'name', 'new', 'subclasshook', 'init_subclass', 'wrapped', 'file',
  'get', 'objclass', 'traceback', 'defaults', 'kwdefaults', 'getitem', 'enter', 'exit', 'del', 'weakref', 'doc',
  'annotations', 'slots', 'main', 'path', 'cached', 'package', 'format', 'repr', 'str', 'setstate',
  'getstate', 'class_getitem', 'instancecheck', 'subclasscheck', 'dir', 'sizeof', 'hash',
]);

/**
 * Identifiers with no use in a chat template but a central one in sandbox escapes: process and eval APIs, and the
 * internals Jinja's own sandbox refuses (`jinja2.sandbox.UNSAFE_*_ATTRIBUTES`, `mro`).
 */
const DANGEROUS_NAMES = new Set([
  'eval', 'exec', 'execfile', 'popen', 'subprocess', 'getattr', 'setattr', 'delattr', 'globals',
  'builtins', 'mro', 'func_globals', 'func_code', 'func_closure', 'im_func', 'im_class',
  'gi_frame', 'gi_code', 'cr_frame', 'cr_code', 'ag_frame', 'ag_code', 'tb_frame', 'f_globals', 'f_builtins',
  'f_locals', 'f_back', 'co_code',
]);

/** Module names that are dangerous when an attribute is taken from them (`os.popen`, `sys.modules`). */
const DANGEROUS_MODULES = new Set(['os', 'sys', 'subprocess', 'builtins', 'importlib', 'posix', 'nt', 'pty', 'shutil']);

/** Words that only an escape would put in a string (whole words: `_` and digits count as separators). */
const DANGEROUS_WORDS = /(?<![a-z])(subclasses|globals|builtins|getattribute|mro|popen|subprocess)(?![a-z])/i;

/** Jinja globals whose rendered repr contains `_` (`<function generate_lorem_ipsum …>`), a source of the character. */
const REPR_GADGETS = new Set(['lipsum', 'cycler', 'joiner', 'self', 'namespace', 'range', 'dict']);

/** Filters that turn strings into attribute lookups when their attribute argument is computed. */
const ATTRIBUTE_FILTERS = new Set(['map', 'selectattr', 'rejectattr', 'sort', 'groupby', 'sum', 'unique', 'min', 'max']);

/** Filters whose output is a string built from their input. */
const STRING_FILTERS = new Set([
  'join', 'replace', 'format', 'string', 'reverse', 'lower', 'upper', 'title', 'capitalize', 'center', 'indent',
  'urlencode', 'e', 'escape', 'safe', 'pprint', 'first', 'last', 'attr', 'random', 'list',
]);

/** Names after which `[` opens a list literal, not a subscript. */
const KEYWORDS = new Set(['in', 'not', 'and', 'or', 'is', 'if', 'else', 'elif', 'for', 'set', 'return', 'with', 'import', 'from', 'as', 'call']);

/** Tokens examined inside one subscript. */
const MAX_SUBSCRIPT_TOKENS = 256;

/** `|replace` calls applied per tag when folding; each costs a pass over the folded text. */
const MAX_REPLACES = 16;

/** Repetitions applied when folding `'_' * n`; more is never needed to spell a name. */
const MAX_REPEAT = 64;

const DUNDER_IN_TEXT = /__([a-z_]+?)__/gi;

/** Reasons the template is dangerous, most specific first; empty for an ordinary template. */
export function findTemplateInjection(source: string): string[] {
  const reasons = new Set<string>();
  const regions = lexJinja(source);
  const templateSoup: string[] = [];
  for (const region of regions) {
    checkTokens(region, reasons);
    const soup = foldStrings(region.tokens);
    templateSoup.push(...soup);
    for (const s of soup) checkAssembled(s, reasons);
  }
  // Pieces can be assigned in one tag and joined in another: `{% set u = '_' %}…{{ x[u*2 ~ 'class' ~ u*2] }}`.
  checkAssembled(templateSoup.join(''), reasons);
  return [...reasons];
}

function checkTokens(region: CodeRegion, reasons: Set<string>): void {
  const t = region.tokens;
  const first = t[0]?.value;
  let parens = 0;
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    const prev = t[i - 1];
    const next = t[i + 1];
    if (tok.type === 'string') {
      checkLiteral(tok, reasons);
      continue;
    }
    if (tok.type === 'op') {
      if (tok.value === '(') parens++;
      else if (tok.value === ')') parens = Math.max(0, parens - 1);
      else if (tok.value === '[' && isOperand(prev)) checkSubscript(t, i, reasons);
      continue;
    }
    if (tok.type !== 'name') continue;
    const name = tok.value;
    const shown = clip(name);
    const isAttr = prev?.value === '.';
    if (name.startsWith('__')) reasons.add(`${isAttr ? 'attribute' : 'name'} ${shown}`);
    else if (isAttr && name.startsWith('_')) reasons.add(`private attribute .${shown}`);
    else if (DANGEROUS_NAMES.has(name)) reasons.add(`${isAttr ? 'attribute .' : 'name '}${name}`);
    else if (!isAttr && DANGEROUS_MODULES.has(name) && next?.value === '.') reasons.add(`module access ${name}.`);
    else if (isAttr && DANGEROUS_MODULES.has(name)) reasons.add(`attribute .${name}`);
    if (name === 'attr' && !isAttr && (prev?.value === '|' || first === 'filter')) reasons.add('|attr filter');
    // `dict(_=1)|first` yields '_'; a keyword argument has no reason to start with one.
    if (!isAttr && name.startsWith('_') && next?.value === '=' && parens > 0 && (prev?.value === '(' || prev?.value === ',') && first !== 'macro') {
      reasons.add(`keyword argument ${shown}`);
    }
    if (!isAttr && REPR_GADGETS.has(name) && next?.value === '|') reasons.add(`repr of the Jinja global ${name}`);
    if (prev?.value === '|' && (name === 'string' || name === 'pprint') && picksCharacters(t, i + 1)) {
      reasons.add(`characters picked out of |${name}`);
    }
    if (prev?.value === '|' && ATTRIBUTE_FILTERS.has(name) && next?.value === '(' && computedAttribute(t, i + 2)) {
      reasons.add(`computed attribute in |${name}`);
    }
  }
}

function isOperand(tok: Token | undefined): boolean {
  if (tok === undefined) return false;
  if (tok.type === 'op') return tok.value === ')' || tok.value === ']';
  return tok.type !== 'name' || !KEYWORDS.has(tok.value);
}

function checkLiteral(tok: Token, reasons: Set<string>): void {
  for (const m of tok.value.matchAll(DUNDER_IN_TEXT)) {
    if (isPyDunder(m[1]!)) reasons.add(`string '${m[0]}'`);
  }
  const word = DANGEROUS_WORDS.exec(tok.value);
  if (word !== null) reasons.add(`string naming ${word[1]}`);
  if (tok.escaped !== undefined && /[\w.]/.test(tok.escaped)) reasons.add(`escape sequences spelling ${JSON.stringify(clip(tok.escaped))}`);
  if (tok.value.includes('%c')) reasons.add("'%c' formatting characters from numbers");
}

/** A `[` after an operand: a subscript. Jinja falls back to getattr for string keys, so a computed key is a lookup. */
function checkSubscript(t: readonly Token[], open: number, reasons: Set<string>): void {
  let depth = 0;
  let hasString = false;
  let hasJoin = false;
  // Bounded so that a tag of a million unclosed `[` stays linear; real subscripts are a few tokens.
  const stop = Math.min(t.length, open + MAX_SUBSCRIPT_TOKENS);
  for (let j = open; j < stop; j++) {
    const v = t[j]!;
    if (v.type === 'op' && (v.value === '[' || v.value === '(')) depth++;
    else if (v.type === 'op' && (v.value === ']' || v.value === ')')) {
      if (--depth === 0) break;
    } else if (v.type === 'string') hasString = true;
    else if (v.type === 'op' && v.value === '~') hasJoin = true;
    // With a string operand, `+` concatenates, `*` repeats and `%` formats; between numbers they are arithmetic.
    else if (v.type === 'op' && (v.value === '+' || v.value === '*' || v.value === '%') && hasString) hasJoin = true;
    else if (v.type === 'name' && t[j - 1]?.value === '|' && STRING_FILTERS.has(v.value)) hasJoin = true;
  }
  if (hasJoin) reasons.add('subscript with a computed name');
}

/** After `|string`: `[18]`, `|list`, `|first` … pull single characters out of a rendered object (slices do not). */
function picksCharacters(t: readonly Token[], from: number): boolean {
  let j = from;
  while (t[j]?.value === ')') j++;
  const a = t[j]?.value;
  const b = t[j + 1];
  if (a === '[') return b?.type === 'number' && t[j + 2]?.value === ']';
  return a === '|' && b !== undefined && ['list', 'first', 'last', 'batch', 'slice', 'random'].includes(b.value);
}

/** `|map(attribute=x)`, `|selectattr(x)`: the attribute is not a plain string literal. */
function computedAttribute(t: readonly Token[], from: number): boolean {
  let j = from;
  if (t[j]?.type === 'name' && t[j + 1]?.value === '=') {
    // Other keyword arguments (`reverse=true`, `case_sensitive=false`) name no attribute.
    if (t[j]!.value !== 'attribute') return false;
    j += 2;
  }
  const arg = t[j];
  if (arg === undefined || arg.value === ')') return false;
  const after = t[j + 1]?.value;
  return arg.type !== 'string' || (after !== ',' && after !== ')');
}

/**
 * Folds the region's string literals into the strings an expression could build from them: concatenated (`+`, `~`,
 * adjacent list items for `|join`), repeated (`* n`), with `|replace(a, b)` applied, and reversed (`|reverse`).
 */
function foldStrings(tokens: readonly Token[]): string[] {
  const parts: string[] = [];
  const replaces: [string, string][] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok.type === 'name' && tok.value === 'replace' && tokens[i + 1]?.value === '(') {
      const a = tokens[i + 2];
      const b = tokens[i + 4];
      if (a?.type === 'string' && tokens[i + 3]?.value === ',' && b?.type === 'string') {
        if (replaces.length < MAX_REPLACES) replaces.push([a.value, b.value]);
        i += 4;
        continue;
      }
    }
    if (tok.type !== 'string') continue;
    let s = tok.value;
    if (tokens[i + 1]?.value === '*' && tokens[i + 2]?.type === 'number') {
      s = s.repeat(Math.min(MAX_REPEAT, Number.parseInt(tokens[i + 2]!.value.replaceAll('_', ''), 10) || 1));
    }
    parts.push(s);
  }
  let joined = parts.join('');
  for (const [a, b] of replaces) if (a !== '') joined = joined.split(a).join(b);
  return [joined, [...joined].reverse().join('')];
}

function checkAssembled(s: string, reasons: Set<string>): void {
  for (const m of s.matchAll(DUNDER_IN_TEXT)) {
    if (isPyDunder(m[1]!)) reasons.add(`assembles '${m[0]}' from string pieces`);
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** `class` in `__class__`, also when extra underscores pad it (`___class___` still reaches `__class__`). */
function isPyDunder(inner: string): boolean {
  return PY_DUNDERS.has(inner.replace(/^_+|_+$/g, '').toLowerCase());
}
