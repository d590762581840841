import type { FileKind } from './file-kind.js';
import { GO_MODULES, JAVA_PACKAGES, LOCAL_IMAGES, lookupPackage, MAVEN_ARTIFACTS, NPM_PACKAGES, PY_MODULES, PYPI_PACKAGES, type PackageTable } from './packages.js';

/** One SDK or local-runtime use on a line: the provider (`local-model:<server>` for runtimes) and the name that showed it. */
export interface SdkHit {
  provider: string;
  name: string;
}

/** Per-file state for manifests whose meaning depends on earlier lines (TOML sections, package.json dependencies). */
export interface SdkState {
  tomlDeps: boolean;
  tomlArray: boolean;
  npmDeps?: ReadonlySet<string>;
}

const PY_IMPORT = /^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([A-Za-z_][\w.]*(?:\s+as\s+\w+)?(?:\s*,\s*[A-Za-z_][\w.]*(?:\s+as\s+\w+)?)*))/;
const PY_DYNAMIC = /\b(?:import_module|__import__)\(\s*['"]([A-Za-z_][\w.]*)['"]/;
const BEDROCK_CLIENT = /\b(?:client|resource)\(\s*(?:service_name\s*=\s*)?['"]bedrock(?:-runtime|-agent-runtime|-agent)?['"]/;
const AZURE_OPENAI = /\bAzure(?:Chat)?OpenAI(?:Embeddings)?\b/;
const JS_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\s]{1,214})\1/g;
const GO_IMPORT = /^\s*(?:import\s+)?(?:[\w.]+\s+)?"([\w.-]+\.[\w.-]+\/[^"\s]+)"\s*(?:\/\/.*)?$/;
const GO_REQUIRE = /^\s*(?:require\s+)?([\w.-]+\.[\w.-]+\/\S+)\s+v\d/;
const JAVA_IMPORT = /^\s*import\s+(?:static\s+)?([\w.]+)/;
const MAVEN_ARTIFACT = /<artifactId>\s*([\w.-]+)\s*<\/artifactId>/;
const GRADLE_COORD = /['"]([\w.-]+):([\w.-]+)(?::[^'"]*)?['"]/g;
const REQUIREMENT = /^\s*([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*(?:[=<>!~;@]|$)/;
const QUOTED_REQUIREMENT = /["']([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*(?:[=<>!~;][^"']*)?["']/g;
const TOML_KEY = /^\s*([A-Za-z0-9][\w.-]*)\s*=/;
const INSTALL = /\b(?:pip3?|uv\s+pip|uv|poetry|pipx|conda|npm|pnpm|yarn|bun|go)\s+(?:install|add|i|get)\s+([^\n;&|#]{1,400})/g;
const LOCAL_COMMAND = /\b(?:(ollama)\s+(?:run|pull|serve|create)|(vllm)\s+serve|(llama-server)\b|(huggingface-cli|hf)\s+download)\b/;
const IMAGE = /(?<![\w./-])((?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._-]+\/[a-z0-9._-]+)(?::[\w.-]+)?(?:@sha256:[a-f0-9]{64})?(?![\w/-])/g;

/** Kinds whose one use per line is a single anchored name: the pattern, its table, and the table's level separator. */
const ANCHORED: Readonly<Record<'go' | 'go-mod' | 'java' | 'maven', readonly [RegExp, PackageTable, string]>> = {
  go: [GO_IMPORT, GO_MODULES, '/'],
  'go-mod': [GO_REQUIRE, GO_MODULES, '/'],
  java: [JAVA_IMPORT, JAVA_PACKAGES, '.'],
  maven: [MAVEN_ARTIFACT, MAVEN_ARTIFACTS, '\0'],
};

/** PEP 503 normalised distribution name. */
const pep503 = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');

/** npm package of an import specifier (`@scope/name/sub` → `@scope/name`); undefined for relative and built-in ones. */
function npmPackage(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function add(hits: SdkHit[], provider: string | undefined, name: string): void {
  if (provider !== undefined && !hits.some((h) => h.provider === provider)) hits.push({ provider, name });
}

/**
 * `from google import genai` names the module `google.genai`, which is what the table lists; `from anthropic import
 * Anthropic` names a class, so the module itself is looked up too (the longest listed prefix wins either way).
 */
function fromImports(mod: string, names: string): string[] {
  const subs = names
    .replace(/[()\\]/g, ' ')
    .split(',')
    .map((n) => n.trim().split(/\s+/)[0]!)
    .filter((n) => /^[A-Za-z_]\w*$/.test(n));
  return [...subs.map((n) => `${mod}.${n}`), mod];
}

function pythonLine(line: string, hits: SdkHit[]): void {
  const m = PY_IMPORT.exec(line);
  const mods = m === null ? [] : m[1] !== undefined ? fromImports(m[1], line.slice(m[0].length)) : m[2]!.split(',').map((s) => s.trim().split(/\s+/)[0]!);
  const dyn = PY_DYNAMIC.exec(line);
  if (dyn !== null) mods.push(dyn[1]!);
  for (const mod of mods) {
    const p = lookupPackage(PY_MODULES, mod, '.');
    add(hits, p === 'openai' && AZURE_OPENAI.test(line) ? 'azure-openai' : p, mod);
  }
  if (BEDROCK_CLIENT.test(line)) add(hits, 'aws-bedrock', 'boto3 bedrock client');
}

function installLine(line: string, hits: SdkHit[]): void {
  for (const m of line.matchAll(INSTALL)) {
    for (const arg of m[1]!.split(/\s+/)) {
      if (arg === '' || arg.startsWith('-')) continue;
      const name = arg.replace(/^['"]|['"]$/g, '');
      const py = REQUIREMENT.exec(name)?.[1];
      const npm = npmPackage(name.replace(/(?<=.)@[^/]*$/, ''));
      const go = name.replace(/@.*$/, '');
      add(hits, (py === undefined ? undefined : lookupPackage(PYPI_PACKAGES, pep503(py), '\0')) ?? (npm === undefined ? undefined : lookupPackage(NPM_PACKAGES, npm, '\0')) ?? lookupPackage(GO_MODULES, go, '/'), name);
    }
  }
  const local = LOCAL_COMMAND.exec(line);
  if (local !== null) {
    const cmd = local[1] ?? local[2] ?? local[3] ?? local[4]!;
    add(hits, cmd === 'ollama' ? 'local-model:ollama' : cmd === 'vllm' ? 'local-model:vllm' : cmd === 'llama-server' ? 'local-model:llama.cpp' : 'huggingface', local[0]);
  }
}

function imageLine(line: string, hits: SdkHit[]): void {
  for (const m of line.matchAll(IMAGE)) {
    const image = m[1]!.replace(/^(?:docker\.io\/|index\.docker\.io\/)/, '');
    if (Object.hasOwn(LOCAL_IMAGES, image)) add(hits, `local-model:${LOCAL_IMAGES[image]}`, m[0]);
  }
}

function tomlLine(line: string, state: SdkState, hits: SdkHit[]): void {
  const section = /^\s*\[+([^\]]+)\]+/.exec(line);
  if (section !== null) {
    state.tomlDeps = /dependencies|packages|requires/i.test(section[1]!);
    state.tomlArray = false;
    return;
  }
  if (/^\s*(?:[\w-]*dependencies|requires|install_requires|[\w-]+)\s*=\s*\[/.test(line) && /depend|requires/i.test(line)) state.tomlArray = true;
  if (state.tomlDeps || state.tomlArray) {
    for (const m of line.matchAll(QUOTED_REQUIREMENT)) add(hits, lookupPackage(PYPI_PACKAGES, pep503(m[1]!), '\0'), m[1]!);
    const key = TOML_KEY.exec(line);
    if (state.tomlDeps && key !== null) add(hits, lookupPackage(PYPI_PACKAGES, pep503(key[1]!), '\0'), key[1]!);
  }
  if (state.tomlArray && line.includes(']')) state.tomlArray = false;
}

/**
 * SDK, wrapper and local-runtime uses on one line of a file of the given kind. Patterns are anchored on import,
 * install and manifest syntax, never on bare words, so prose that names a provider ("a mistral wind", "replicate the
 * results") does not match. The caller skips comment lines.
 */
export function sdkHits(line: string, kind: FileKind, state: SdkState): SdkHit[] {
  const hits: SdkHit[] = [];
  switch (kind) {
    case 'python':
      pythonLine(line, hits);
      break;
    case 'notebook':
      pythonLine(line.replace(/^\s*"/, '').replace(/\\n",?\s*$/, ''), hits);
      installLine(line, hits);
      break;
    case 'js':
      for (const m of line.matchAll(JS_SPECIFIER)) {
        const pkg = npmPackage(m[2]!);
        const p = pkg === undefined ? undefined : lookupPackage(NPM_PACKAGES, pkg, '\0');
        add(hits, p === 'openai' && AZURE_OPENAI.test(line) ? 'azure-openai' : p, pkg ?? '');
      }
      break;
    case 'go':
    case 'go-mod':
    case 'java':
    case 'maven': {
      const [pattern, table, sep] = ANCHORED[kind];
      const m = pattern.exec(line);
      if (m !== null) add(hits, lookupPackage(table, m[1]!, sep), m[1]!);
      break;
    }
    case 'gradle':
      for (const m of line.matchAll(GRADLE_COORD)) add(hits, lookupPackage(MAVEN_ARTIFACTS, m[2]!, '\0'), `${m[1]}:${m[2]}`);
      break;
    case 'requirements': {
      const m = REQUIREMENT.exec(line);
      if (m !== null) add(hits, lookupPackage(PYPI_PACKAGES, pep503(m[1]!), '\0'), m[1]!);
      break;
    }
    case 'py-manifest':
      tomlLine(line, state, hits);
      break;
    case 'npm-manifest': {
      const m = /^\s*"(@?[\w.-]+(?:\/[\w.-]+)?)"\s*:\s*"/.exec(line);
      if (m !== null && state.npmDeps?.has(m[1]!) === true) add(hits, lookupPackage(NPM_PACKAGES, m[1]!, '\0'), m[1]!);
      break;
    }
    case 'shell':
      installLine(line, hits);
      imageLine(line, hits);
      break;
    case 'docker':
    case 'yaml':
      installLine(line, hits);
      imageLine(line, hits);
      break;
    default:
      break;
  }
  return hits;
}

/** Direct dependency names of a package.json, or an empty set when it does not parse (it is still read for keys). */
export function npmDependencies(text: string): Set<string> {
  const out = new Set<string>();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof doc !== 'object' || doc === null) return out;
  for (const section of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    const deps = (doc as Record<string, unknown>)[section];
    if (typeof deps === 'object' && deps !== null) for (const k of Object.keys(deps)) out.add(k);
  }
  return out;
}
