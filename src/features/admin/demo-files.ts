import { deflateSync } from 'node:zlib';
import type { DemoFile } from './demo-resources-content.js';

/**
 * The demo library's files, made in code so the repository holds no binaries: a one-page PDF
 * of text lines, a CSV, and a PNG bar chart. Each is a valid file of its type, so the upload
 * checks accept it as they would a member's.
 */
export function demoFileBytes(file: DemoFile): Buffer {
  switch (file.kind) {
    case 'pdf':
      return textPdf(file.title, file.lines);
    case 'csv':
      return Buffer.from(file.rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n', 'utf8');
    case 'png':
      return barChartPng(file.bars);
  }
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A4, Helvetica, one line per entry; PDF strings escape `\`, `(` and `)`, and are Latin-1. */
function textPdf(title: string, lines: string[]): Buffer {
  const escape = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, (c) => (c === '\u2019' ? "'" : '-'));
  const content = ['BT', '/F1 16 Tf', '56 780 Td', `(${escape(title)}) Tj`, '/F1 11 Tf', '0 -30 Td', ...lines.flatMap((line) => [`(${escape(line)}) Tj`, '0 -18 Td']), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

const CHART_WIDTH = 480;
const CHART_HEIGHT = 240;
const BACKGROUND = [255, 255, 255];
const BAR = [31, 78, 121];

/** Bars scaled to the tallest, on white: an 8-bit RGB PNG. */
function barChartPng(bars: number[]): Buffer {
  const tallest = Math.max(...bars, 1);
  const slot = Math.floor(CHART_WIDTH / bars.length);
  const rows: Buffer[] = [];
  for (let y = 0; y < CHART_HEIGHT; y++) {
    const row = Buffer.alloc(1 + CHART_WIDTH * 3);
    for (let x = 0; x < CHART_WIDTH; x++) {
      const bar = Math.floor(x / slot);
      const inBar = bar < bars.length && x % slot >= slot / 6 && x % slot < slot - slot / 6;
      const barTop = CHART_HEIGHT - Math.round(((bars[bar] ?? 0) / tallest) * (CHART_HEIGHT - 20));
      const colour = inBar && y >= barTop ? BAR : BACKGROUND;
      row.set(colour, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(CHART_WIDTH, 0);
  header.writeUInt32BE(CHART_HEIGHT, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
