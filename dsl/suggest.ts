// "Did you mean": nearest candidates by Damerau–Levenshtein (optimal string alignment) distance.

/** Edit distance with adjacent transpositions; case-insensitive. Bounded inputs keep it cheap. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase().slice(0, 200);
  b = b.toLowerCase().slice(0, 200);
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/** Candidates close enough to `word` to be a plausible typo, nearest first (at most `limit`). */
export function nearest(word: string, candidates: Iterable<string>, limit = 3): string[] {
  const max = Math.max(1, Math.min(3, Math.floor(word.length / 3) + 1));
  const scored: [string, number][] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c)) continue;
    seen.add(c);
    const d = editDistance(word, c);
    const prefix = c.toLowerCase().startsWith(word.toLowerCase()) && word.length >= 3;
    if (d <= max || prefix) scored.push([c, prefix ? Math.min(d, max) : d]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  const best = scored[0]?.[1];
  return scored
    .filter((s) => s[1] === best)
    .slice(0, limit)
    .map((s) => s[0]);
}

/** A help line "did you mean 'x'?" (or "one of 'x', 'y'"), or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const near = nearest(word, candidates);
  if (near.length === 0) return undefined;
  if (near.length === 1) return `did you mean '${near[0]}'?`;
  return `did you mean ${near.map((n) => `'${n}'`).join(', ')}?`;
}
