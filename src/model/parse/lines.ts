// Line iteration shared by the text parsers: 1-based line numbers, "\r\n" tolerated, no array of
// all lines built (a 100k-rule iptables dump is ~20 MB; splitting it first doubles the memory).

/** Calls `visit` with each line (without its "\n" or "\r\n"), its number and its offsets in `text`. */
export function forEachLine(
  text: string,
  visit: (line: string, lineNo: number, start: number, end: number) => void,
): void {
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    lineNo++;
    const stop = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const start = pos;
    pos = end + 1;
    visit(text.slice(start, stop), lineNo, start, stop);
  }
}
