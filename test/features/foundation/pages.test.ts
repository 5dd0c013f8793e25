import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => t.close());

describe('public pages', () => {
  it.each(['/', '/guidelines', '/privacy', '/accessibility', '/contact'])('GET %s answers with the layout and one h1', async (url) => {
    const response = await new Browser(t.app).get(url);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<html lang="en-AU">');
    expect(response.body).toContain('href="#main"');
    expect(response.body.match(/<h1[\s>]/g)).toHaveLength(1);
    expect(response.body).toContain('href="/guidelines"');
    expect(response.body).toContain('href="/privacy"');
    expect(response.body).toContain('href="/contact"');
    expect(response.body).toContain('href="/accessibility"');
  });
});
