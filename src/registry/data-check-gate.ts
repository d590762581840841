import { latestEntry } from '../audit/index.js';
import { DATA_CHECKED, readCheckedEvent } from '../data/index.js';
import { trustedProvenance } from './checks.js';
import type { RegistryDeps } from './deps.js';
import type { Gate } from './gates.js';
import type { VersionRecord } from './versions.js';

/** A training dataset of a model version: how it is named, and its manifest root digest. */
interface TrainingDataset {
  name: string;
  rootDigest: string;
}

/**
 * The version's training datasets, by digest: each `trainingData[].dataset` of its card (`name@version` of a
 * registered dataset) and each dataset its training attestation names, once a trusted key verifies it. What
 * cannot be resolved is a problem, never skipped: an unregistered dataset or an attestation nobody trusted signed
 * would otherwise let an unchecked training set through.
 */
async function trainingDatasets(deps: RegistryDeps, version: VersionRecord): Promise<{ datasets: TrainingDataset[]; problems: string[] }> {
  const byDigest = new Map<string, TrainingDataset>();
  const problems: string[] = [];
  for (const d of version.card?.trainingData ?? []) {
    if (d.dataset === undefined) continue;
    const at = d.dataset.lastIndexOf('@');
    const [name, ver] = at > 0 ? [d.dataset.slice(0, at), d.dataset.slice(at + 1)] : [d.dataset, ''];
    const row = await deps.store.db.selectFrom('registry_versions').select(['root_digest']).where('kind', '=', 'dataset').where('name', '=', name).where('version', '=', ver).executeTakeFirst();
    if (row === undefined) problems.push(`the card names dataset ${d.dataset}, which is not registered (palisade dataset register)`);
    else if (!byDigest.has(row.root_digest)) byDigest.set(row.root_digest, { name: d.dataset, rootDigest: row.root_digest });
  }
  if (version.attestation !== null) {
    const found = await trustedProvenance(deps, version.attestation);
    if ('reason' in found) problems.push(`the training attestation's datasets cannot be trusted: ${found.reason}`);
    else
      for (const d of found.provenance.datasets) {
        const digest = d.digest.sha256;
        if (digest !== undefined && !byDigest.has(digest)) byDigest.set(digest, { name: d.name, rootDigest: digest });
      }
  }
  return { datasets: [...byDigest.values()], problems };
}

/**
 * `data-check`: every training dataset had a clean `palisade data check` as the batch checked (`--current`), the
 * most recent check of that digest counting, so a dirty check is cleared only by a clean one made after it.
 */
export const dataCheckGate: Gate = {
  name: 'data-check',
  description: 'the most recent `palisade data check` of each training dataset (by manifest digest) was clean',
  async check({ deps, version }) {
    const { datasets, problems } = await trainingDatasets(deps, version);
    if (datasets.length === 0 && problems.length === 0) return { ok: false, reason: 'no training dataset is named: give trainingData[].dataset (name@version of a registered dataset) in the model card, or register a training attestation' };
    const passed: string[] = [];
    for (const d of datasets) {
      const e = await latestEntry(deps.store, DATA_CHECKED, (x) => readCheckedEvent(x.data)?.current === d.rootDigest);
      const verdict = e === undefined ? undefined : readCheckedEvent(e.data)!.verdict;
      const short = `${d.name} (sha256 ${d.rootDigest.slice(0, 12)}…)`;
      if (e === undefined) problems.push(`no data check recorded for ${short}: run palisade data check --current on it`);
      else if (verdict !== 'clean') problems.push(`the latest data check of ${short} (audit entry ${e.index}, ${e.time}) found ${verdict}`);
      else passed.push(`${d.name} (audit entry ${e.index})`);
    }
    return problems.length === 0 ? { ok: true, reason: `latest data check clean for ${passed.join(', ')}` } : { ok: false, reason: problems.join('; ') };
  },
};
