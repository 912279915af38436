#!/usr/bin/env node
// Stands in for the system browser in the desktop-app suite: the app opens addresses with
// `$BROWSER URL`, as on most Unix desktops. Every address is appended to the file named by
// COURTSIDE_TEST_BROWSER_LOG; a court sign-in page is then completed in headless Chromium as
// COURTSIDE_TEST_USER / COURTSIDE_TEST_PASSWORD, whose redirect reaches the app's loopback
// listener, exactly as a person signing in would.
import { appendFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.argv[2];
if (process.env.COURTSIDE_TEST_BROWSER_LOG) appendFileSync(process.env.COURTSIDE_TEST_BROWSER_LOG, `${url}\n`);
if (url && new URL(url).pathname === '/oauth/authorize' && process.env.COURTSIDE_TEST_USER) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.fill('#username', process.env.COURTSIDE_TEST_USER);
    await page.fill('#password', process.env.COURTSIDE_TEST_PASSWORD ?? '');
    await Promise.all([page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback/), page.click('#submit')]);
    await page.waitForLoadState();
  } finally {
    await browser.close();
  }
}
