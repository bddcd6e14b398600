// The verdict a person reads and the exit status a script reads, decided together so that they
// never disagree: a ✔ always exits 0 (docs/findings.md "Verdicts and exit status").
import type { Severity } from '../checks/finding.ts';
import type { ReportDoc } from './document.ts';

export type Tone = 'ok' | 'warn' | 'bad' | 'unknown';

export interface VerdictMark {
  mark: '✔' | '⚠' | '◐' | '✘' | '?';
  words: string;
  tone: Tone;
  exit: 0 | 1;
}

const PROBLEM: ReadonlySet<Severity> = new Set(['critical', 'error', 'warning']);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 'S'}`;
}

/**
 * ✔ reachable/healthy, exit 0 (info findings allowed); ⚠ reachable but a warning or worse was
 * found, exit 1; ◐ partially reachable, ✘ unreachable or problems found, ? unknown (not shown to
 * work: unknown beats wrong), exit 1.
 */
export function verdictMark(doc: ReportDoc): VerdictMark {
  const problems = doc.findings.filter((f) => PROBLEM.has(f.severity)).length;
  const withProblems = problems > 0 ? `, WITH ${plural(problems, 'PROBLEM')}` : '';
  switch (doc.verdict) {
    case 'reachable':
    case 'healthy': {
      const words = doc.verdict === 'reachable' ? 'REACHABLE' : 'HEALTHY';
      return problems > 0
        ? { mark: '⚠', words: `${words}${withProblems}`, tone: 'warn', exit: 1 }
        : { mark: '✔', words, tone: 'ok', exit: 0 };
    }
    case 'partial':
      return { mark: '◐', words: 'PARTIALLY REACHABLE', tone: 'warn', exit: 1 };
    case 'unreachable':
      return { mark: '✘', words: 'UNREACHABLE', tone: 'bad', exit: 1 };
    case 'problems':
      return { mark: '✘', words: 'PROBLEMS FOUND', tone: 'bad', exit: 1 };
    case 'unknown':
      return { mark: '?', words: `UNKNOWN${withProblems}`, tone: 'unknown', exit: 1 };
  }
}

export function exitStatus(doc: ReportDoc): 0 | 1 {
  return verdictMark(doc).exit;
}
