// Line iteration shared by the text parsers: 1-based line numbers, "\r\n" tolerated, no array of
// all lines built (a 100k-rule iptables dump is ~20 MB; splitting it first doubles the memory).

export function forEachLine(text: string, visit: (line: string, lineNo: number) => void): void {
  let lineNo = 0;
  let pos = 0;
  const len = text.length;
  while (pos < len) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = len;
    lineNo++;
    const line = end > pos && text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
    pos = end + 1;
    visit(line, lineNo);
  }
}
