/** The last `count` lines of a tool's output, trimmed: what an error message quotes of it. */
export function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
