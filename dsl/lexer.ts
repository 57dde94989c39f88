// Tokens of the recipe language and the chevrotain lexer; lexing problems become diagnostics.
import { createToken, type IToken, Lexer, type TokenType } from 'chevrotain';
import { type Diagnostic, diag } from './diagnostics.ts';
import { LineIndex } from './span.ts';
import { STATEMENT_KEYWORDS, STATEMENTS } from './table/index.ts';

const WORD_START = 'A-Za-z_\\u00C0-\\uFFFF';
const WORD_PATTERN = new RegExp(`[${WORD_START}][${WORD_START}0-9-]*(?:\\+\\+)?`);

export const Word = createToken({ name: 'Word', pattern: WORD_PATTERN, label: 'a word' });
/**
 * A name with dots written without quotes (`p2o.Conv.99`): one diagnostic asks for quotes, and it
 * parses as the quoted name would, so it costs no cascade of errors.
 */
export const DottedName = createToken({
  name: 'DottedName',
  pattern: new RegExp(`[${WORD_START}][${WORD_START}0-9-]*(?:\\.[${WORD_START}0-9][${WORD_START}0-9-]*)+`),
  categories: [Word],
  label: 'a word',
});

function keyword(name: string): TokenType {
  return createToken({
    name: `Kw_${name}`,
    pattern: new RegExp(`${name}(?![${WORD_START}0-9-]|\\+\\+)`),
    longer_alt: Word,
    label: `'${name}'`,
  });
}

/** Words that start a statement (when first on their line): the statement table's keywords. */
export { STATEMENT_KEYWORDS };

const FIXED_KEYWORDS = ['input', 'of', 'where', 'and', 'or', 'not'] as const;
/** Second words that pick a statement's form (`quantize weights`); `weights` is also a granularity. */
const VARIANT_KEYWORDS = [
  ...new Set(STATEMENTS.flatMap((d) => ('variant' in d && d.variant ? [d.variant] : []))),
];

export const KW = Object.fromEntries(FIXED_KEYWORDS.map((k) => [k, keyword(k)])) as Record<
  (typeof FIXED_KEYWORDS)[number],
  TokenType
>;
const TABLE_KEYWORDS = new Map([...STATEMENT_KEYWORDS, ...VARIANT_KEYWORDS].map((k) => [k, keyword(k)]));

/** The token of a statement keyword or variant word of the table. */
export function keywordToken(word: string): TokenType {
  const t = TABLE_KEYWORDS.get(word);
  if (!t) throw new Error(`'${word}' is not a keyword of the statement table`);
  return t;
}

/** Every keyword: the formatter quotes names that would lex as one. */
export const KEYWORDS: string[] = [...FIXED_KEYWORDS, ...TABLE_KEYWORDS.keys()];

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\v\u00a0\ufeff\u2028\u2029]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });
export const StringLit = createToken({ name: 'String', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a string' });
export const BadString = createToken({
  name: 'BadString',
  pattern: /"(?:[^"\\\n\r]|\\.)*\\?/,
  categories: [StringLit],
});
export const Regex = createToken({
  name: 'Regex',
  pattern: /\/(?:[^/\\\n\r]|\\.)+\/[A-Za-z]*/,
  label: 'a /regex/',
});
export const BadRegex = createToken({
  name: 'BadRegex',
  pattern: /\/(?:[^/\\\n\r]|\\.)*\\?/,
  categories: [Regex],
});
/** Every numeric form: 8, -1, 1.5, 25%, 64k, 200KB, 3x3, 2:4 (units are checked later). */
export const NumberLit = createToken({
  name: 'Number',
  pattern: /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:[x:]\d+(?:\.\d+)?)?[A-Za-z_%0-9]*/,
  label: 'a number',
});
export const DotDot = createToken({ name: 'DotDot', pattern: /\.\./, label: "'..'" });
export const LE = createToken({ name: 'LE', pattern: /<=/, label: "'<='" });
export const GE = createToken({ name: 'GE', pattern: />=/, label: "'>='" });
export const EQ = createToken({ name: 'EQ', pattern: /==/, label: "'=='" });
export const NE = createToken({ name: 'NE', pattern: /!=/, label: "'!='" });
export const LT = createToken({ name: 'LT', pattern: /</, label: "'<'" });
export const GT = createToken({ name: 'GT', pattern: />/, label: "'>'" });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Star = createToken({ name: 'Star', pattern: /\*/, label: "'*'" });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLit,
  BadString,
  Regex,
  BadRegex,
  NumberLit,
  DotDot,
  LE,
  GE,
  EQ,
  NE,
  LT,
  GT,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Colon,
  Star,
  DottedName,
  ...Object.values(KW),
  ...TABLE_KEYWORDS.values(),
  Word,
];

const lexer = new Lexer(ALL_TOKENS, {
  positionTracking: 'full',
  ensureOptimizations: false,
  // Lines end at \n only (\r\n included); a lone \r is whitespace, as in the diagnostics' line numbers.
  lineTerminatorsPattern: /\n/g,
  lineTerminatorCharacters: ['\n'],
});

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  diagnostics: Diagnostic[];
}

export function lex(text: string, file: string): LexResult {
  const diagnostics: Diagnostic[] = [];
  const lines = new LineIndex(file, text);
  const spanAt = (_f: string, _t: string, offset: number, length: number) => lines.span(offset, length);
  // A NUL byte early on means a binary file: one diagnostic, nothing else.
  const nul = text.slice(0, 8192).indexOf('\u0000');
  if (nul >= 0) {
    return {
      tokens: [],
      comments: [],
      diagnostics: [
        diag(
          'SQ106',
          lines.span(nul, 1),
          'this is not a text file (it has NUL bytes)',
          'pass a .squish recipe',
        ),
      ],
    };
  }
  const r = lexer.tokenize(text);
  // Runs of unlexable characters become one diagnostic each (binary garbage stays readable).
  let lastEnd = -2;
  for (const e of r.errors) {
    if (e.offset === lastEnd && diagnostics.length > 0) {
      const d = diagnostics[diagnostics.length - 1]!;
      d.span.length += e.length;
    } else {
      const ch = text.codePointAt(e.offset) ?? 0;
      const shown =
        ch < 32 || ch === 127 || ch === 0xfffd ? `\\u{${ch.toString(16)}}` : String.fromCodePoint(ch);
      diagnostics.push(
        diag(
          ch === 0 || ch === 0xfffd ? 'SQ106' : 'SQ101',
          spanAt(file, text, e.offset, e.length),
          ch === 0 || ch === 0xfffd ? 'this is not a text file' : `unexpected character '${shown}'`,
          ch === 0x27 ? 'strings are written in double quotes: "…"' : undefined,
        ),
      );
      if (diagnostics.length >= 100) break;
    }
    lastEnd = e.offset + e.length;
  }
  for (const t of r.tokens) {
    if (t.tokenType === DottedName)
      diagnostics.push(
        diag(
          'SQ326',
          spanAt(file, text, t.startOffset, t.image.length),
          'names that contain dots are quoted',
          `write "${t.image}"`,
        ),
      );
    else if (t.tokenType === BadString)
      diagnostics.push(
        diag(
          'SQ102',
          spanAt(file, text, t.startOffset, t.image.length),
          'unterminated string',
          'close it with " on the same line',
        ),
      );
    else if (t.tokenType === BadRegex)
      diagnostics.push(
        diag(
          'SQ103',
          spanAt(file, text, t.startOffset, t.image.length),
          'unterminated regex',
          'close it with / on the same line',
        ),
      );
  }
  return { tokens: r.tokens, comments: (r.groups.comments ?? []) as IToken[], diagnostics };
}
