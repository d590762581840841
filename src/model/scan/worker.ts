import { scanFile, type ScanOptions } from './scan-file.js';
import type { FileReport } from './types.js';

/** Worker-thread entry (piscina): scans one file. */
export default function scanTask(task: { path: string; display: string; options: ScanOptions }): Promise<FileReport> {
  return scanFile(task.path, task.options, task.display);
}
