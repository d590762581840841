/** One SARIF 2.1.0 log with one run of one tool: the envelope code-scanning tools read. */
export interface SarifRun {
  /** The driver's name, e.g. `palisade`. */
  tool: string;
  version: string;
  rules: object[];
  results: object[];
  invocation: { executionSuccessful: boolean; toolExecutionNotifications?: object[] };
}

export function sarifLog(run: SarifRun): object {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: run.tool, semanticVersion: run.version, rules: run.rules } }, results: run.results, invocations: [run.invocation] }],
  };
}
