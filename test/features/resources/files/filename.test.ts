import { describe, expect, it } from 'vitest';
import { cleanName, displayName, fileUrl, settleType, urlName } from '../../../../src/features/resources/files/filename.js';

const stored = (sent: string, type: Parameters<typeof displayName>[1] = 'application/pdf') => displayName(cleanName(sent), type);

describe('the name a file is shown and downloaded under', () => {
  it('keeps the last path segment only, whichever the separator', () => {
    expect(stored('../../etc/passwd', 'text/plain')).toBe('passwd.txt');
    expect(stored('..\\..\\windows\\report.pdf')).toBe('report.pdf');
    expect(stored('C:\\Users\\jane\\Budget 2026.pdf')).toBe('Budget 2026.pdf');
    expect(stored('..')).toBe('file.pdf');
  });

  it('strips control, bidi and format characters, and NUL', () => {
    expect(stored('cv.php\0.pdf')).toBe('cv.php.pdf');
    expect(stored('report\r\nSet-Cookie: x.pdf')).toBe('reportSet-Cookie: x.pdf');
    expect(stored('invoice\u202Efdp.pdf')).toBe('invoicefdp.pdf');
    expect(stored('\u200B\u2066plan\u2069\uFEFF.pdf')).toBe('plan.pdf');
    expect(stored('\uD800broken.pdf')).toBe('broken.pdf');
  });

  it('is never empty and always has its type’s extension', () => {
    expect(stored('', 'image/png')).toBe('file.png');
    expect(stored('\u202E\u200B ', 'image/jpeg')).toBe('file.jpg');
    expect(stored('README', 'text/plain')).toBe('README.txt');
    expect(stored('.profile', 'text/plain')).toBe('.profile.txt');
  });

  it('is at most 200 characters, keeping the extension', () => {
    const name = stored(`${'a'.repeat(1000)}.pdf`);
    expect([...name]).toHaveLength(200);
    expect(name.endsWith('a.pdf')).toBe(true);
    const emoji = stored(`${'😀'.repeat(300)}.docx`, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect([...emoji]).toHaveLength(200);
    expect(emoji.endsWith('😀.docx')).toBe(true);
  });
});

describe('whether a name agrees with the bytes', () => {
  it('takes text as CSV or plain by its extension, and refuses another', () => {
    expect(settleType('text', 'costs.CSV')).toEqual({ ok: true, type: 'text/csv' });
    expect(settleType('text', 'notes.txt')).toEqual({ ok: true, type: 'text/plain' });
    expect(settleType('text', 'notes')).toEqual({ ok: true, type: 'text/plain' });
    expect(settleType('text', 'page.html')).toEqual({ ok: false, extension: 'html' });
    expect(settleType('text', 'report.pdf')).toEqual({ ok: false, extension: 'pdf' });
  });

  it('refuses an extension another type owns', () => {
    expect(settleType('image/jpeg', 'photo.JPEG')).toEqual({ ok: true, type: 'image/jpeg' });
    expect(settleType('image/png', 'photo.jpg')).toEqual({ ok: false, extension: 'jpg' });
    expect(settleType('application/pdf', 'report.pdf.html')).toEqual({ ok: false, extension: 'html' });
    expect(settleType('application/pdf', 'invoicefdp.exe')).toEqual({ ok: false, extension: 'exe' });
  });
});

describe('the name in a download’s address', () => {
  it('is plain ASCII, whatever the name', () => {
    expect(urlName('Budget 2026 (final).pdf')).toBe('Budget-2026-final.pdf');
    expect(urlName('Café résumé.docx')).toBe('Cafe-resume.docx');
    expect(urlName('报告.pdf')).toBe('file.pdf');
    expect(urlName('a"b;c\r\n.txt')).toBe('a-b-c.txt');
    expect(fileUrl({ id: 12, name: `${'x'.repeat(200)}.pdf` })).toBe(`/files/12/${'x'.repeat(100)}.pdf`);
  });
});
