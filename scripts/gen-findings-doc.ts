// Writes docs/findings.md from the finding catalog.
import { writeFileSync } from 'node:fs';
import { findingsMarkdown } from '../src/checks/findings-doc.ts';

writeFileSync(new URL('../docs/findings.md', import.meta.url), findingsMarkdown());
