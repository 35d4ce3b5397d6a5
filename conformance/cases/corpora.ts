import { prng } from './helpers.js';

// Deterministic stand-ins for the sample files of Autobahn's 12.x cases (a JSON document, a
// black-and-white bitmap, German prose, an HTML page, a PDF), generated so that nothing is
// downloaded and every run sends the same bytes. Each is about 512 KiB.

const SIZE = 512 * 1024;

function build(
  generate: (push: (piece: string | Buffer) => void, random: () => number) => void,
  seed: number,
): Buffer {
  const pieces: Buffer[] = [];
  let length = 0;
  const random = prng(seed);
  const push = (piece: string | Buffer) => {
    const b = typeof piece === 'string' ? Buffer.from(piece) : piece;
    pieces.push(b);
    length += b.length;
  };
  while (length < SIZE) generate(push, random);
  return Buffer.concat(pieces);
}

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

const NAMES = [
  'Ada Lovelace',
  'Alan Turing',
  'Grace Hopper',
  'Edsger Dijkstra',
  'Barbara Liskov',
  'Jürgen Schmidhuber',
  'Zoë Ångström',
];
const CITIES = ['Zürich', 'Kraków', 'São Paulo', 'Reykjavík', 'Montréal', 'Tōkyō', 'Berlin'];
const WORDS = [
  'Habe',
  'nun',
  'ach',
  'Philosophie',
  'Juristerei',
  'und',
  'Medizin',
  'leider',
  'auch',
  'Theologie',
  'durchaus',
  'studiert',
  'mit',
  'heißem',
  'Bemühn',
  'Da',
  'steh',
  'ich',
  'armer',
  'Tor',
  'bin',
  'so',
  'klug',
  'als',
  'wie',
  'zuvor',
  'Heiße',
  'Magister',
  'Doktor',
  'gar',
  'schon',
  'an',
  'die',
  'zehen',
  'Jahr',
  'Herauf',
  'herab',
  'quer',
  'krumm',
  'Schüler',
  'Nase',
  'herum',
  'sehe',
  'daß',
  'wir',
  'nichts',
  'wissen',
  'können',
  'Das',
  'will',
  'mir',
  'schier',
  'Herz',
  'verbrennen',
  'Zwar',
  'gescheiter',
  'Laffen',
  'Pfaffen',
  'Schreiber',
  'Mich',
  'plagen',
  'keine',
  'Skrupel',
  'Zweifel',
  'Fürchte',
  'mich',
  'weder',
  'Hölle',
  'Teufel',
];
const TAGS = [
  'div',
  'span',
  'p',
  'a',
  'li',
  'section',
  'article',
  'header',
  'footer',
  'table',
  'td',
];

/** Text: a JSON array of records (Autobahn 12.1 uses a large JSON file). */
export const jsonCorpus = lazy(() =>
  build((push, random) => {
    const id = Math.floor(random() * 1e6);
    push(
      `${JSON.stringify({
        id,
        name: pick(random, NAMES),
        email: `user${id}@example.org`,
        city: pick(random, CITIES),
        score: Math.round(random() * 1e4) / 1e4,
        active: random() > 0.5,
        tags: [pick(random, WORDS), pick(random, WORDS)],
      })},\n`,
    );
  }, 0x1201),
);

/** Binary: a 1-bit-per-pixel image with long runs and some noise (Autobahn 12.2: a bitmap). */
export const bitmapCorpus = lazy(() =>
  build((push, random) => {
    const row = Buffer.alloc(64);
    let value = random() > 0.5 ? 0xff : 0x00;
    for (let i = 0; i < row.length; i++) {
      if (random() < 0.08) value ^= 0xff;
      row[i] = random() < 0.03 ? Math.floor(random() * 256) : value;
    }
    push(row);
  }, 0x1202),
);

/** Text: German prose with umlauts and ß (Autobahn 12.3: Goethe's Faust). */
export const proseCorpus = lazy(() =>
  build((push, random) => {
    const words = Array.from({ length: 6 + Math.floor(random() * 10) }, () => pick(random, WORDS));
    push(`${words.join(' ')}${pick(random, ['!', '.', ';', ',', '?'])}\n`);
  }, 0x1203),
);

/** Text: HTML markup (Autobahn 12.4: an HTML page). */
export const htmlCorpus = lazy(() =>
  build((push, random) => {
    const tag = pick(random, TAGS);
    push(
      `<${tag} class="c${Math.floor(random() * 40)}" data-id="${Math.floor(random() * 1e5)}">${pick(random, WORDS)} ${pick(random, CITIES)}</${tag}>\n`,
    );
  }, 0x1204),
);

/** Binary: PDF-like objects with text and noisy streams (Autobahn 12.5: a PDF). */
export const pdfCorpus = lazy(() =>
  build((push, random) => {
    const n = Math.floor(random() * 1000);
    push(
      `${n} 0 obj\n<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Length ${n * 3} >>\nstream\n`,
    );
    const noise = Buffer.alloc(64 + Math.floor(random() * 192));
    for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(random() * 256);
    push(noise);
    push('\nendstream\nendobj\n');
  }, 0x1205),
);

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}
