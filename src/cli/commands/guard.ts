import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { keyedDigest } from '../../audit/index.js';
import { CoreError } from '../../core/errors.js';
import { checkText, classifyInjection, defaultRegistry, evaluate, formatEvalReport, GuardError, jsonLines, parseEvalRows, shippedInjectionModel, type Scored, type Verdict } from '../../guard/index.js';
import type { Env } from '../env.js';
import type { Io } from '../io.js';
import { resolveConfig } from '../resolve-config.js';
import { createRuntime, type Runtime } from '../runtime.js';

interface CheckFlags {
  guards?: string;
  stage?: string;
  canary?: string[];
  json?: boolean;
  record?: boolean;
  config?: string;
}

function readInput(io: Io, file: string | undefined): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return Promise.resolve(readFileSync(resolve(io.cwd, file), 'utf8'));
    } catch (err) {
      throw new CoreError('CORE_USAGE', `cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (io.readStdin === undefined) throw new CoreError('CORE_USAGE', 'no input: pass a file');
  return io.readStdin();
}

function formatVerdict(v: Verdict): string {
  const lines = [`${v.action}${v.findings.length === 0 ? '' : `: ${v.findings.length} finding${v.findings.length === 1 ? '' : 's'}`}`];
  for (const f of v.findings) {
    const score = f.score === undefined ? '' : `, score ${f.score.toFixed(2)}`;
    const span = f.span === undefined ? '' : ` at ${f.span.start}..${f.span.end}`;
    lines.push(`  ${f.guard}/${f.rule} (${f.severity}${score})${span}: ${f.message}`);
  }
  if (v.redaction !== undefined) lines.push(`redacted: ${v.redaction.text}`);
  return lines.join('\n') + '\n';
}

/** `palisade guard check|classify|eval`: the input and output guards from the command line. */
export function registerGuard(program: Command, io: Io, env: Env, setCode: (c: number) => void): void {
  const guard = program.command('guard').description('prompt-injection, jailbreak, secret, PII, canary-token and content guards');

  guard
    .command('check')
    .description('run guards over one text; exit 0 allowed, 1 flagged, redacted or blocked, 2 bad input')
    .argument('<text>', 'the text to check ("-" reads stdin)')
    .option('--guards <names>', `comma-separated guards (default: all: ${defaultRegistry().names().join(', ')})`)
    .option('--stage <stage>', 'input (a prompt) or output (a completion)', 'input')
    .option('--canary <token...>', 'canary tokens embedded in the system prompt (for canary-token)')
    .option('--json', 'print the verdict as JSON')
    .option('--config <file>', 'config file (for the home whose audit log records the verdict)')
    .option('--no-record', 'do not record the verdict in the audit log (recorded when a home exists)')
    .action(async (arg: string, f: CheckFlags) => {
      if (f.stage !== 'input' && f.stage !== 'output') throw new CoreError('CORE_USAGE', `--stage must be input or output, not '${f.stage}'`);
      const text = arg === '-' ? await readInput(io, undefined) : arg;
      const registry = defaultRegistry();
      const guards = f.guards === undefined ? registry.names() : f.guards.split(',').map((g) => g.trim()).filter((g) => g !== '');
      let verdict: Verdict;
      try {
        verdict = checkText(text, { registry, guards, stage: f.stage, canaries: f.canary ?? [] });
      } catch (err) {
        if (err instanceof GuardError) throw new CoreError('CORE_USAGE', err.message, { cause: err });
        throw err;
      }
      io.stdout(f.json === true ? JSON.stringify(verdict, null, 2) + '\n' : formatVerdict(verdict));
      await recordVerdict(io, env, f, text, guards, verdict);
      setCode(verdict.action === 'allow' ? 0 : 1);
    });

  guard
    .command('classify')
    .description('read JSON Lines {"text": …} on stdin (or --input), write one {"flagged","score","label"} line per input, in order')
    .option('--input <file>', 'read this file instead of stdin')
    .option('--threshold <t>', 'flag threshold on 1 − P(benign) (default: the model\'s)')
    .action(async (f: { input?: string; threshold?: string }) => {
      const threshold = f.threshold === undefined ? undefined : Number(f.threshold);
      if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new CoreError('CORE_USAGE', `--threshold must be a number from 0 to 1, not '${f.threshold}'`);
      let texts: string[];
      try {
        texts = jsonLines(await readInput(io, f.input), f.input ?? 'stdin').map(({ line, value }) => {
          const t = (value as { text?: unknown } | null)?.text;
          if (typeof t !== 'string') throw new GuardError('GUARD_INPUT_INVALID', `line ${line} has no "text" string: each line must be {"text": "…"}`);
          return t;
        });
      } catch (err) {
        if (err instanceof GuardError) throw new CoreError('CORE_USAGE', err.message, { cause: err });
        throw err;
      }
      const model = shippedInjectionModel();
      let out = '';
      for (const t of texts) {
        const r = classifyInjection(t, { model, ...(threshold === undefined ? {} : { threshold }) });
        out += JSON.stringify({ flagged: r.flagged, score: Number(r.score.toFixed(6)), label: r.label, ...(r.encodings.length > 0 ? { encodings: r.encodings } : {}) }) + '\n';
      }
      io.stdout(out);
      setCode(0);
    });

  guard
    .command('eval')
    .description('precision, recall, F1 and false-positive rate of the injection classifier per label and source')
    .argument('<file>', 'JSON Lines {"text", "label": injection|jailbreak|benign, "source"?}')
    .option('--threshold <t>', 'flag threshold (default: the model\'s)')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, f: { threshold?: string; json?: boolean; progress?: boolean }) => {
      const model = shippedInjectionModel();
      const threshold = f.threshold === undefined ? model.threshold : Number(f.threshold);
      if (!(threshold >= 0 && threshold <= 1)) throw new CoreError('CORE_USAGE', `--threshold must be a number from 0 to 1, not '${f.threshold}'`);
      let rows;
      try {
        rows = parseEvalRows(await readInput(io, file), file);
      } catch (err) {
        if (err instanceof GuardError) throw new CoreError('CORE_USAGE', err.message, { cause: err });
        throw err;
      }
      const bar = f.progress !== false && io.stderrIsTTY ? new SingleBar({ format: 'classifying {bar} {value}/{total} rows', stream: process.stderr, hideCursor: true, clearOnComplete: true }) : undefined;
      bar?.start(rows.length, 0);
      const scored: Scored[] = rows.map((r, i) => {
        const c = classifyInjection(r.text, { model, threshold });
        if (i % 50 === 0) bar?.update(i);
        return { ...r, score: c.score, predicted: c.label };
      });
      bar?.stop();
      const report = evaluate(scored, threshold);
      io.stdout(f.json === true ? JSON.stringify(report, null, 2) + '\n' : formatEvalReport(report));
      setCode(0);
    });
}

/** With a home, the verdict goes into the audit log: the text only as a keyed digest, never raw. */
async function recordVerdict(io: Io, env: Env, f: CheckFlags, text: string, guards: string[], v: Verdict): Promise<void> {
  if (f.record === false) return;
  const resolved = resolveConfig(io.cwd, env, f.config);
  if (resolved.home === undefined) return;
  let rt: Runtime | undefined;
  try {
    rt = await createRuntime(io, env, {}, resolved);
    const digest = keyedDigest(rt.keys.digestSecret, text);
    await rt.log.record({
      type: 'guard.verdict',
      actor: rt.actor,
      subject: `text:${digest}`,
      data: { action: v.action, guards, rules: [...new Set(v.findings.map((x) => x.rule))].sort(), findings: v.findings.length, length: text.length },
    });
  } catch (err) {
    io.stderr(`palisade: warning: the guard verdict was not recorded in the audit log: ${(err as Error).message}\n`);
  } finally {
    await rt?.close();
  }
}
