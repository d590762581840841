import { missingCardFields, ModelCardSchema } from './card.js';
import { attestationCheck, scanCheck, signatureCheck } from './checks.js';
import { dataCheckGate } from './data-check-gate.js';
import type { RegistryDeps } from './deps.js';
import { RegistryError } from './errors.js';
import type { VersionRecord } from './versions.js';

export interface GateContext {
  deps: RegistryDeps;
  version: VersionRecord;
  /** The alias being promoted to. */
  alias: string;
}

export interface GateResult {
  gate: string;
  ok: boolean;
  /** Why it passed or failed, in words. */
  reason: string;
}

/** A promotion gate: a named check a version must pass to move to an alias. Later layers add their own. */
export interface Gate {
  name: string;
  description: string;
  check(ctx: GateContext): Promise<{ ok: boolean; reason: string }>;
}

/** Gates by name. The config lists which run for each alias; a name no gate has is an error, never skipped. */
export class GateSet {
  private readonly gates = new Map<string, Gate>();

  constructor(gates: readonly Gate[] = []) {
    for (const g of gates) this.add(g);
  }

  add(gate: Gate): this {
    if (this.gates.has(gate.name)) throw new RegistryError('REGISTRY_GATE_UNKNOWN', `a gate named '${gate.name}' is already registered`);
    this.gates.set(gate.name, gate);
    return this;
  }

  get(name: string): Gate {
    const g = this.gates.get(name);
    if (g === undefined) throw new RegistryError('REGISTRY_GATE_UNKNOWN', `the config names gate '${name}', which no layer provides (known: ${this.names().join(', ')})`);
    return g;
  }

  names(): string[] {
    return [...this.gates.keys()];
  }
}

// Gates re-check what they can against the artifact as it is now: a file changed after registration fails here.
const scanGate: Gate = {
  name: 'scan',
  description: 'the scanner finds the artifact safe',
  async check({ deps, version }) {
    const s = await scanCheck(version.path, deps.scanAllow ?? []);
    return s.verdict === 'safe' ? { ok: true, reason: `scan verdict safe (${s.files} files)` } : { ok: false, reason: `scan verdict ${s.verdict}: ${s.findings.slice(0, 5).map((f) => `${f.rule} in ${f.path}`).join(', ') || 'files could not be read'}` };
  },
};

const signatureGate: Gate = {
  name: 'signature',
  description: 'an OMS signature verifies with a trusted key or certificate chain',
  async check({ deps, version }) {
    const s = await signatureCheck(deps, version.path, version.signature, version.findings.ignorePaths);
    return s.status === 'verified' ? { ok: true, reason: `signature verified by trusted signer ${s.signer ?? ''}` } : { ok: false, reason: s.status === 'absent' ? 'unsigned: no signature was registered' : `signature does not verify: ${s.reason ?? ''}` };
  },
};

const attestationGate: Gate = {
  name: 'attestation',
  description: "a trusted training attestation names this model, and its datasets' manifests verify",
  async check({ deps, version }) {
    const a = await attestationCheck(deps, version.rootDigest, version.attestation);
    return a.status === 'verified' ? { ok: true, reason: `attestation signed by ${a.signer ?? ''}; ${a.datasets?.length ?? 0} datasets verify` } : { ok: false, reason: a.reason ?? a.status };
  },
};

const cardGate: Gate = {
  name: 'card',
  description: 'the model card is complete',
  check({ version }) {
    const missing = missingCardFields(version.card);
    return Promise.resolve(missing.length === 0 ? { ok: true, reason: 'model card complete' } : { ok: false, reason: `model card incomplete: missing ${missing.join(', ')}` });
  },
};

const metricsGate: Gate = {
  name: 'metrics',
  description: "the card's evaluation metrics are at or above the configured thresholds",
  check({ deps, version }) {
    const card = ModelCardSchema.shape.metrics.safeParse(version.card?.metrics);
    const have = new Map((card.success ? card.data : []).map((m) => [m.name, m.value]));
    const problems = Object.entries(deps.config.metrics).flatMap(([name, min]) => {
      const v = have.get(name);
      return v === undefined ? [`${name} not reported`] : v < min ? [`${name} ${v} < ${min}`] : [];
    });
    const n = Object.keys(deps.config.metrics).length;
    return Promise.resolve(problems.length === 0 ? { ok: true, reason: n === 0 ? 'no metric thresholds configured' : `${n} metrics at or above thresholds` } : { ok: false, reason: `metrics below thresholds: ${problems.join(', ')}` });
  },
};

const approvalsGate: Gate = {
  name: 'approvals',
  description: 'enough approvals from security reviewers other than the registrant (two-person rule)',
  async check({ deps, version }) {
    const rows = await deps.store.db.selectFrom('registry_reviews').select(['reviewer', 'role', 'decision']).where('name', '=', version.name).where('version', '=', version.version).execute();
    if (rows.some((r) => r.decision === 'reject')) return { ok: false, reason: 'rejected by a security reviewer (final for this version)' };
    const ok = new Set(rows.filter((r) => r.decision === 'approve' && r.role === 'security-reviewer' && r.reviewer !== version.registrant).map((r) => r.reviewer));
    const need = deps.config.approvals;
    return ok.size >= need ? { ok: true, reason: `${ok.size} of ${need} approvals from security reviewers` } : { ok: false, reason: `${ok.size} of ${need} approvals from security reviewers other than the registrant` };
  },
};

/** The built-in gates. */
export const BUILTIN_GATES: readonly Gate[] = [scanGate, signatureGate, attestationGate, cardGate, metricsGate, approvalsGate, dataCheckGate];

export const defaultGates = (): GateSet => new GateSet(BUILTIN_GATES);
