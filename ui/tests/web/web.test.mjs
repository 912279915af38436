// The UI web build in headless Chromium with the fake backend: every screen in both
// languages and both themes, checked with axe-core (serious or critical violations fail).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { serveBuild } from '../support/static-server.mjs';

const SCREENS = ['today', 'cases', 'calendar', 'drafts', 'evidence', 'filings', 'hearings', 'inbox', 'settings'];
let server;
let browser;

before(async () => {
  server = await serveBuild();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function newPage(colorScheme = 'light') {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return { page, errors, close: () => context.close() };
}

/** Opens `path` with a locked fake vault (passphrase `open-sesame-123`) and unlocks it. */
async function openUnlocked(page, path, locale) {
  await page.goto(`${server.url}${path}?locale=${locale}&vault=open-sesame-123`);
  await page.getByTestId('passphrase').fill('open-sesame-123');
  await page.getByTestId('unlock-submit').click();
}

/** The day `offset` days from today in China time (YYYY-MM-DD), as the court counts. */
function chinaDay(offset = 0) {
  return new Date(Date.now() + 8 * 3_600_000 + offset * 86_400_000).toISOString().slice(0, 10);
}

async function assertAccessible(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility violations on ${label}`
  );
}

for (const [locale, colorScheme] of [['en-US', 'light'], ['zh-CN', 'dark']]) {
  test(`create vault, recovery key, every screen: ${locale}, ${colorScheme}`, async () => {
    const { page, errors, close } = await newPage(colorScheme);
    const zh = locale === 'zh-CN';
    await page.goto(`${server.url}/?locale=${locale}`);
    await page.getByTestId('unlock-title').waitFor();
    assert.equal(await page.getByTestId('unlock-title').textContent(), zh ? '创建加密保险库' : 'Create your encrypted vault');
    assert.equal(await page.evaluate(() => document.documentElement.lang), zh ? 'zh-CN' : 'en');
    await assertAccessible(page, 'create vault');

    await page.getByTestId('passphrase').fill('correct horse battery');
    await page.getByTestId('passphrase-confirm').fill('correct horse battery staple');
    await page.getByTestId('unlock-submit').click();
    assert.equal(await page.getByTestId('unlock-error').textContent(), zh ? '两次输入的口令不一致。' : 'The two passphrases differ.');
    await assertAccessible(page, 'create vault with an error');

    await page.getByTestId('passphrase-confirm').fill('correct horse battery');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('recovery-key').waitFor();
    await assertAccessible(page, 'recovery key');
    assert.ok(await page.getByTestId('recovery-continue').isDisabled(), 'continue waits for the confirmation');
    await page.getByTestId('recovery-saved').check();
    await page.getByTestId('recovery-continue').click();

    for (const screen of SCREENS) {
      await page.getByTestId(`nav-${screen}`).click();
      await page.waitForURL(`**/${screen}`);
      assert.equal(await page.getByTestId(`nav-${screen}`).getAttribute('aria-current'), 'page');
      await assertAccessible(page, `${screen} (${locale}, ${colorScheme})`);
    }
    assert.deepEqual(errors, []);
    await close();
  });
}

test('unlock: wrong passphrase is refused, the right one opens; lock returns to the unlock screen', async () => {
  const { page, close } = await newPage();
  await page.goto(`${server.url}/cases?locale=en&vault=open-sesame-123`);
  await page.getByTestId('unlock-title').waitFor();
  assert.equal(await page.getByTestId('unlock-title').textContent(), 'Unlock Courtside');
  await page.getByTestId('passphrase').fill('nope nope nope');
  await page.getByTestId('unlock-submit').click();
  assert.equal(await page.getByTestId('unlock-error').textContent(), 'That passphrase does not open this vault.');
  assert.equal(await page.getByTestId('passphrase').getAttribute('aria-invalid'), 'true');
  await assertAccessible(page, 'unlock with an error');
  await page.getByTestId('passphrase').fill('open-sesame-123');
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('nav-cases').waitFor();
  await page.getByTestId('lock').click();
  await page.getByTestId('unlock-title').waitFor();
  await close();
});

test('language follows the OS, and the choice in Settings wins and persists', async () => {
  const { page, close } = await newPage();
  await openUnlocked(page, '/settings', 'zh-CN');
  assert.equal(await page.getByTestId('nav-cases').textContent(), '案件');
  await page.getByTestId('language-select').selectOption('en');
  assert.equal(await page.getByTestId('nav-cases').textContent(), 'Cases');
  await page.reload();
  await page.getByTestId('unlock-title').waitFor();
  assert.equal(await page.getByTestId('unlock-title').textContent(), 'Unlock Courtside');
  await close();
});

test('offline court: the indicator says so and offers a retry', async () => {
  const { page, close } = await newPage();
  await page.goto(`${server.url}/?locale=en&offline`);
  const status = page.getByTestId('connectivity');
  await status.locator('[role="status"]').filter({ hasText: 'Offline' }).waitFor();
  assert.equal(await status.getAttribute('data-state'), 'offline');
  await status.getByRole('button', { name: 'Check again' }).waitFor();
  await assertAccessible(page, 'offline indicator');
  await close();
});

test('drafts: autosave makes versions, history restores, search finds Chinese text', async () => {
  const { page, errors, close } = await newPage();
  await openUnlocked(page, '/drafts', 'zh-CN');
  await page.getByTestId('draft-new').click();
  const status = page.getByTestId('draft-status');
  assert.equal(await status.textContent(), '已保存 · 第 1 版');
  await page.getByTestId('draft-title').fill('民事起诉状');
  await page.getByTestId('draft-body').fill('原告张三诉被告李四买卖合同纠纷。');
  await page.locator('[data-testid="draft-status"][data-state="saved"]').waitFor();
  assert.equal(await status.textContent(), '已保存 · 第 2 版');
  await page.getByTestId('draft-body').fill('原告张三诉被告李四买卖合同纠纷，请求支付货款十万元。');
  await page.locator('[data-testid="draft-status"]', { hasText: '第 3 版' }).waitFor();

  await page.getByTestId('draft-history-toggle').click();
  const history = page.getByTestId('draft-history');
  assert.equal(await history.locator('li').count(), 3);
  await assertAccessible(page, 'drafts with history (zh-CN)');
  await history.getByRole('button', { name: '恢复第 2 版' }).click();
  await page.locator('[data-testid="draft-status"]', { hasText: '第 4 版' }).waitFor();
  assert.equal(await page.getByTestId('draft-body').inputValue(), '原告张三诉被告李四买卖合同纠纷。');
  assert.equal(await history.locator('li').count(), 4);

  await page.getByTestId('draft-search').fill('买卖合同');
  await page.getByTestId('draft-item').first().waitFor();
  assert.equal(await page.getByTestId('draft-item').count(), 1);
  await page.getByTestId('draft-search').fill('不存在的词');
  await page.getByTestId('draft-no-results').waitFor();
  assert.deepEqual(errors, []);
  await close();
});

for (const how of ['the lock button', 'the machine going to sleep']) {
  test(`locking by ${how} while a draft has unsaved changes saves them first`, async () => {
    const { page, close } = await newPage();
    await openUnlocked(page, '/drafts', 'en');
    await page.getByTestId('draft-new').click();
    await page.getByTestId('draft-body').fill(`typed just before ${how}`);
    if (how === 'the lock button') await page.getByTestId('lock').click();
    // The fake backend's stand-in for the app's "vault-lock-requested" event.
    else await page.evaluate(() => globalThis.__courtsideFakeSleep());
    await page.getByTestId('unlock-title').waitFor();
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('draft-item').first().click();
    assert.equal(await page.getByTestId('draft-body').inputValue(), `typed just before ${how}`);
    await close();
  });
}

test('recovery key unlock, and a passphrase changed in Settings opens the vault next time', async () => {
  const { page, close } = await newPage();
  await page.goto(`${server.url}/settings?locale=en&vault=open-sesame-123`);
  await page.getByTestId('recovery-toggle').click();
  await page.getByTestId('recovery-input').fill('csrk-fake-0000-0000-0000-0000-0000-000X');
  await page.getByTestId('unlock-submit').click();
  assert.equal(await page.getByTestId('unlock-error').textContent(), 'That recovery key does not open this vault.');
  await page.getByTestId('recovery-input').fill('csrk fake 0000 0000 0000 0000 0000 0000');
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('change-passphrase').waitFor();
  await assertAccessible(page, 'settings with security');
  await page.getByTestId('new-passphrase').fill('brand new passphrase');
  await page.getByTestId('new-passphrase-confirm').fill('brand new passphrase');
  await page.getByTestId('change-passphrase').click();
  assert.equal(await page.getByTestId('security-message').textContent(), 'Passphrase changed.');
  await page.getByTestId('lock').click();
  await page.getByTestId('passphrase').fill('open-sesame-123');
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('unlock-error').waitFor();
  await page.getByTestId('passphrase').fill('brand new passphrase');
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('nav-cases').waitFor();
  await close();
});

test('the strength meter follows the passphrase being created', async () => {
  const { page, close } = await newPage();
  await page.goto(`${server.url}/?locale=en`);
  const strength = page.getByTestId('strength');
  await page.getByTestId('passphrase').fill('abc');
  assert.match(await strength.textContent(), /weak/);
  await page.getByTestId('passphrase').fill('correct horse battery');
  assert.match(await strength.textContent(), /strong/);
  await close();
});

test('turning on device unlock where there is no keychain explains it and leaves it off', async () => {
  const { page, close } = await newPage();
  await openUnlocked(page, '/settings', 'zh-CN');
  await page.getByTestId('device-unlock').click();
  await page.getByTestId('device-unlock-message').waitFor();
  assert.equal(await page.getByTestId('device-unlock-message').textContent(), '本机没有可用的系统钥匙串，保险库只能用口令打开。');
  assert.equal(await page.getByTestId('device-unlock').isChecked(), false);
  await assertAccessible(page, 'settings after a keychain error');
  await close();
});

for (const [locale, colorScheme] of [['zh-CN', 'light'], ['en-US', 'dark']]) {
  test(`new-case wizard, live checklist, queued offline, sync panel: ${locale}, ${colorScheme}`, async () => {
    const { page, errors, close } = await newPage(colorScheme);
    const zh = locale === 'zh-CN';
    await page.goto(`${server.url}/settings?locale=${locale}&vault=open-sesame-123&offline`);
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('court-sign-in').click();
    await page.getByTestId('court-account').waitFor();
    // One piece of evidence in the locker, to submit with the case.
    await page.getByTestId('nav-evidence').click();
    await page.getByTestId('evidence-files').setInputFiles([{ name: '微信聊天记录.txt', mimeType: 'text/plain', buffer: Buffer.from('李四：货款下月付。') }]);
    await page.getByTestId('exhibit-detail').waitFor();

    await page.getByTestId('nav-cases').click();
    await page.getByTestId('case-new').click();
    await page.getByTestId('wizard-cause').waitFor();
    await assertAccessible(page, `wizard step 1 (${locale})`);
    await page.getByTestId('wizard-next').click();
    assert.ok(await page.getByTestId('wizard-error').isVisible(), 'required fields are asked for');
    await page.getByTestId('wizard-cause').fill('买卖合同纠纷');
    await page.getByTestId('wizard-title').fill('张三诉李四买卖合同纠纷');
    await page.getByTestId('wizard-amount').fill('150000');
    await page.getByTestId('wizard-next').click();
    const names = page.getByTestId('party-name');
    await names.nth(0).fill('张三');
    await names.nth(1).fill('李四');
    await assertAccessible(page, `wizard parties (${locale})`);
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-claims').fill('判令被告支付货款150000元\n诉讼费由被告承担');
    await page.getByTestId('wizard-facts').fill('原告依约交货，被告未付款。');
    await page.getByTestId('wizard-next').click();

    await page.getByTestId('case-title').waitFor();
    const status = page.getByTestId('checklist-status');
    assert.equal(await status.textContent(), zh ? '提交前还有 1 项需处理' : '1 to fix before filing');
    // The locker is read only when the picker is opened; typing narrows what it lists.
    assert.equal(await page.getByTestId('exhibit-choice').count(), 0);
    await page.getByTestId('open-exhibit-picker').click();
    await page.getByTestId('exhibit-filter').fill('no such exhibit');
    assert.equal(await page.getByTestId('exhibit-choice').count(), 0);
    await page.getByTestId('exhibit-filter').fill('微信');
    await page.getByTestId('exhibit-choice').check();
    await page.getByTestId('case-exhibit').waitFor();
    assert.match(await page.getByTestId('case-exhibit').textContent(), zh ? /^证据1：微信聊天记录\.txt/ : /^Exhibit 1: 微信聊天记录\.txt/);
    assert.ok(await page.getByTestId('queue-filing').isDisabled());
    await assertAccessible(page, `case page, incomplete (${locale}, ${colorScheme})`);
    await page.getByTestId('attach-identity').setInputFiles({ name: '身份证.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await page.waitForFunction(() => document.querySelector('[data-testid="checklist-status"]')?.classList.contains('ok-text'));
    assert.equal(await status.textContent(), zh ? '可以提交' : 'Ready to file');
    // Review first: to whom, the parties, documents and exhibits, the fee; Back changes nothing.
    await page.getByTestId('queue-filing').click();
    const review = page.getByTestId('filing-review');
    await review.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="review-court"]')?.textContent?.includes('示范基层人民法院'));
    assert.match(await page.getByTestId('review-documents').textContent(), /身份证\.pdf/);
    assert.match(await page.getByTestId('review-exhibits').textContent(), /微信聊天记录\.txt/);
    assert.equal(await page.getByTestId('review-warning-evidence').count(), 0, 'an exhibit is attached');
    await assertAccessible(page, `review before filing (${locale})`);
    await page.getByTestId('review-back').click();
    await review.waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId('case-stage').textContent(), zh ? '准备中' : 'Preparing', 'nothing was sent');
    await page.getByTestId('queue-filing').click();
    await page.getByTestId('review-send').click();
    await page.getByTestId('case-filing-state').waitFor();
    assert.equal(await page.getByTestId('case-stage').textContent(), zh ? '待发送' : 'Queued');

    await page.getByTestId('deadline-from').fill('2025-03-05');
    await page.getByTestId('deadline-add').click();
    await page.getByTestId('case-deadline').waitFor();
    assert.match(await page.getByTestId('case-deadline').textContent(), /2025-03-20/);
    // The case list names each case's next deadline, and sorts by what is due first.
    await page.getByTestId('nav-cases').click();
    await page.getByTestId('case-item').first().waitFor();
    await page.getByTestId('case-order').selectOption('due');
    assert.equal(await page.getByTestId('case-item').count(), 1);
    assert.equal(await page.getByTestId('case-item-deadline').count(), 0, 'the only deadline (2025) has passed');
    await page.getByTestId('case-item').first().click();
    await page.getByTestId('deadline-from').fill(chinaDay(0));
    await page.getByTestId('deadline-add').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="case-deadline"]').length === 2);
    await page.getByTestId('nav-cases').click();
    await page.getByTestId('case-item-deadline').waitFor();
    assert.equal(await page.getByTestId('case-item-deadline').textContent(), zh ? `下一期限 ${chinaDay(15)}` : `Next deadline ${chinaDay(15)}`);
    await page.getByTestId('nav-calendar').click();
    await page.getByTestId('calendar-item').first().waitFor();
    assert.match(await page.getByTestId('calendar-item').first().textContent(), zh ? /张三诉李四买卖合同纠纷.*已过 \d+ 天/ : /张三诉李四买卖合同纠纷.*\d+ days ago/);
    await assertAccessible(page, `calendar (${locale}, ${colorScheme})`);

    await page.getByTestId('nav-filings').click();
    await page.getByTestId('outbox-item').waitFor();
    assert.equal(await page.getByTestId('outbox-state').textContent(), zh ? '待发送' : 'Queued');
    assert.equal(await page.getByTestId('sync-state').textContent(), zh ? '离线' : 'Offline');
    await assertAccessible(page, `sync panel (${locale}, ${colorScheme})`);
    assert.deepEqual(errors, []);
    await close();
  });
}

for (const locale of ['zh-CN', 'en-US']) {
  test(`a wrong amount is told on its field and focused; the case is edited afterwards and deleted after a confirmation: ${locale}`, async () => {
    const { page, errors, close } = await newPage(locale === 'zh-CN' ? 'light' : 'dark');
    const zh = locale === 'zh-CN';
    await openUnlocked(page, '/cases/new', locale);
    await page.getByTestId('wizard-cause').fill('买卖合同纠纷');
    await page.getByTestId('wizard-title').fill('王五诉赵六买卖合同纠纷');
    const amount = page.getByTestId('wizard-amount');
    await amount.fill('12abc');
    await amount.press('Tab');
    const amountError = page.locator('#amount-error');
    await amountError.waitFor();
    assert.equal(
      await amountError.textContent(),
      zh ? '金额中不能有“a”：请输入数字，例如 150000 或 150,000.50。' : '“a” does not belong in an amount in yuan: type digits, like 150000 or 150,000.50.'
    );
    assert.equal(await amount.getAttribute('aria-invalid'), 'true');
    assert.equal(await amount.getAttribute('aria-describedby'), 'amount-error');
    await assertAccessible(page, `wizard with a wrong amount (${locale})`);
    // Going on is refused, and the wrong field gets the focus.
    await page.getByTestId('wizard-title').focus();
    await page.getByTestId('wizard-next').click();
    await page.waitForFunction(() => document.activeElement?.id === 'amount');
    assert.ok(await page.getByTestId('wizard-cause').isVisible(), 'still on the first step');
    // Full-width digits and separators are an amount.
    await amount.fill('５０，０００');
    await amount.press('Tab');
    await page.waitForFunction(() => !document.querySelector('#amount-error'));
    assert.equal(await amount.getAttribute('aria-invalid'), null);
    await page.getByTestId('wizard-next').click();
    const names = page.getByTestId('party-name');
    await names.nth(0).fill('王五');
    await page.getByTestId('wizard-next').click();
    await page.waitForFunction(() => document.activeElement?.id === 'party-1-name');
    assert.equal(await names.nth(1).getAttribute('aria-invalid'), 'true', 'the unnamed defendant is marked');
    await names.nth(1).fill('赵六');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-claims').fill('判令被告支付货款50000元');
    await page.getByTestId('wizard-facts').fill('原告交货，被告未付款。');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('case-title').waitFor();
    const caseUrl = page.url();

    // Edit it afterwards: the form comes back filled in; the change is saved.
    await page.getByTestId('case-edit').click();
    await page.waitForURL('**/cases/new?edit=**');
    await page.waitForFunction(() => document.querySelector('[data-testid="wizard-title"]')?.value === '王五诉赵六买卖合同纠纷');
    assert.equal(await amount.inputValue(), '50000');
    await page.getByTestId('wizard-title').fill('王五诉赵六买卖合同纠纷（补充）');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-next').click();
    assert.equal(await page.getByTestId('wizard-claims').inputValue(), '判令被告支付货款50000元');
    await page.getByTestId('wizard-next').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="case-title"]')?.textContent === '王五诉赵六买卖合同纠纷（补充）');
    assert.equal(page.url(), caseUrl, 'the same case, not a copy');

    // Delete: asked first; Cancel keeps it, Delete removes it.
    await page.getByTestId('case-delete').click();
    const dialog = page.getByTestId('case-delete-dialog');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), zh ? /删除“王五诉赵六买卖合同纠纷（补充）”？/ : /Delete “王五诉赵六买卖合同纠纷（补充）”\?/);
    await assertAccessible(page, `delete confirmation (${locale})`);
    await page.getByTestId('case-delete-dialog-cancel').click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(page.url(), caseUrl);
    await page.getByTestId('case-delete').click();
    await page.getByTestId('case-delete-dialog-yes').click();
    await page.waitForURL((u) => u.pathname === '/cases');
    await page.waitForFunction(() => !document.body.textContent?.includes('王五诉赵六'));
    assert.deepEqual(errors, []);
    await close();
  });
}

for (const locale of ['en-US', 'zh-CN']) {
  test(`a correction request shows the court's points on the case, and the copy to fix carries them beside the documents: ${locale}`, async () => {
    const zh = locale === 'zh-CN';
    const { page, errors, close } = await newPage('light');
    await page.goto(`${server.url}/settings?locale=${locale}&vault=open-sesame-123&correction`);
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('court-sign-in').click();
    await page.getByTestId('court-account').waitFor();
    await page.getByTestId('nav-cases').click();
    await page.getByTestId('case-new').click();
    await page.getByTestId('wizard-cause').fill('买卖合同纠纷');
    await page.getByTestId('wizard-title').fill('张三诉李四买卖合同纠纷');
    await page.getByTestId('wizard-amount').fill('150000');
    await page.getByTestId('wizard-next').click();
    const names = page.getByTestId('party-name');
    await names.nth(0).fill('张三');
    await names.nth(1).fill('李四');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('wizard-claims').fill('判令被告支付货款150000元');
    await page.getByTestId('wizard-facts').fill('原告依约交货，被告未付款。');
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('attach-identity').setInputFiles({ name: '身份证.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await page.waitForFunction(() => document.querySelector('[data-testid="checklist-status"]')?.classList.contains('ok-text'));
    await page.getByTestId('queue-filing').click();
    await page.getByTestId('review-send').click();
    await page.getByTestId('filing-correction').waitFor();
    assert.equal(await page.getByTestId('case-stage').textContent(), zh ? '需补正' : 'Correction requested');
    assert.match(await page.getByTestId('filing-correction').textContent(), zh ? /法院要求于 2026-12-09 前补正：.*身份证：身份证复印件不清晰/ : /The court asks for corrections by 2026-12-09:.*身份证: 身份证复印件不清晰/);
    await assertAccessible(page, `correction requested (${locale})`);
    await page.getByTestId('case-copy').click();
    await page.getByTestId('case-correcting').waitFor();
    assert.equal(await page.getByTestId('case-stage').textContent(), zh ? '准备中' : 'Preparing');
    assert.match(await page.getByTestId('document-point').textContent(), zh ? /法院意见：身份证复印件不清晰/ : /The court: 身份证复印件不清晰/);
    assert.ok(await page.getByTestId('case-edit').isVisible(), 'the copy can be edited');
    await assertAccessible(page, `the copy to fix (${locale})`);
    assert.deepEqual(errors, []);
    await close();
  });
}

test('evidence locker: add files, see the digest and the custody timeline, export', async () => {
  const { page, errors, close } = await newPage('light');
  await openUnlocked(page, '/evidence', 'en-US');
  await page.getByTestId('evidence-drop').waitFor();
  await assertAccessible(page, 'evidence locker, empty');
  await page.getByTestId('evidence-proves').fill('The debt was admitted');
  await page.getByTestId('evidence-files').setInputFiles([
    { name: 'chat.txt', mimeType: 'text/plain', buffer: Buffer.from('abc') },
    { name: 'contract.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') }
  ]);
  await page.getByTestId('exhibit-detail').waitFor();
  assert.equal(await page.getByTestId('exhibit-item').count(), 2);
  await page.getByTestId('exhibit-item').first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="exhibit-sha256"]')?.textContent?.startsWith('ba7816bf'));
  assert.match(await page.getByTestId('custody-timeline').textContent(), /Captured \(a file chosen\), hashed and sealed/);
  // The original is shown: text as text, a photo as an image the webview decoded.
  await page.getByTestId('exhibit-preview').filter({ hasText: 'abc' }).waitFor();
  await assertAccessible(page, 'evidence locker with an exhibit open');
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  await page.getByTestId('evidence-files').setInputFiles([{ name: 'scene.png', mimeType: 'image/png', buffer: png }]);
  await page.getByTestId('exhibit-detail').filter({ hasText: 'scene.png' }).waitFor();
  await page.waitForFunction(() => (document.querySelector('[data-testid="exhibit-preview"] img')?.naturalWidth ?? 0) === 1);
  // Only the ticked exhibit is exported.
  await page.getByTestId('exhibit-select').nth(2).check();
  assert.match(await page.getByTestId('evidence-export').textContent(), /Export 1 selected/);
  await page.getByTestId('evidence-export').click();
  await page.getByTestId('evidence-message').filter({ hasText: 'Exported to' }).waitFor();
  assert.match(await page.getByTestId('custody-timeline').textContent(), /Exported \(evidence bundle\)/);
  await page.getByTestId('exhibit-item').first().click();
  await page.getByTestId('exhibit-detail').filter({ hasText: 'chat.txt' }).waitFor();
  assert.doesNotMatch(await page.getByTestId('custody-timeline').textContent(), /Exported/, 'an exhibit not ticked is not exported');
  // The catalogue's words: title and what it proves, changed and logged.
  await page.getByTestId('exhibit-title').fill('WeChat chat with Li Si');
  await page.getByTestId('exhibit-proves').fill('Li Si admitted the debt');
  await page.getByTestId('exhibit-describe').click();
  await page.getByTestId('custody-timeline').filter({ hasText: 'WeChat chat with Li Si' }).waitFor();
  await page.getByTestId('exhibit-item').filter({ hasText: 'WeChat chat with Li Si' }).waitFor();
  await page.getByTestId('evidence-export').click();
  assert.match(await page.getByTestId('evidence-message').textContent(), /^Exported to /);
  assert.deepEqual(errors, []);
  await close();
});

test('files dropped on the window are offered, kept with progress, and a file that vanished is named', async () => {
  const { page, errors, close } = await newPage('dark');
  await openUnlocked(page, '/evidence', 'zh-CN');
  await page.getByTestId('evidence-drop').waitFor();
  await page.getByTestId('evidence-proves').fill('交付时货物状况');
  await page.evaluate(() =>
    globalThis.__courtsideFakeDrop([
      { name: '现场1.jpg', content: 'photo one' },
      { name: '.DS_Store', content: 'junk' },
      { name: '现场2.jpg', content: null },
      { name: '聊天记录.txt', content: '李四：货款下月付。' }
    ])
  );
  const offer = page.getByTestId('drop-offer');
  await offer.waitFor();
  assert.match(await offer.textContent(), /3 个文件，共/);
  assert.match(await offer.textContent(), /已略过 1 项/);
  await assertAccessible(page, 'a drop offered');
  await page.getByTestId('drop-keep').click();
  await page.getByTestId('drop-progress').waitFor();
  assert.match(await page.getByTestId('drop-progress').textContent(), /正在封存第 \d\/3 个文件/);
  const message = page.getByTestId('evidence-message');
  await message.filter({ hasText: '已保存 2 份证据' }).waitFor();
  assert.match(await message.textContent(), /现场2\.jpg/);
  assert.equal(await page.getByTestId('exhibit-item').count(), 2);
  assert.equal(await offer.count(), 0);
  // Discarding a drop keeps nothing.
  await page.evaluate(() => globalThis.__courtsideFakeDrop([{ name: 'a.txt', content: 'a' }]));
  await page.getByTestId('drop-discard').click();
  assert.equal(await offer.count(), 0);
  assert.equal(await page.getByTestId('exhibit-item').count(), 2);
  assert.deepEqual(errors, []);
  await close();
});

test('evidence locker with 10,000 exhibits draws only the rows in view, scrolls to the last and filters', async () => {
  const { page, errors, close } = await newPage('light');
  await openUnlocked(page, '/evidence', 'en-US');
  const files = Array.from({ length: 10_000 }, (_, i) => ({
    name: `note-${String(i + 1).padStart(5, '0')}.txt`,
    mimeType: 'text/plain',
    buffer: Buffer.from(`exhibit ${i + 1}`)
  }));
  await page.getByTestId('evidence-files').setInputFiles(files);
  await page.getByTestId('exhibit-detail').filter({ hasText: 'Exhibit 10000' }).waitFor({ timeout: 120_000 });
  const drawn = await page.getByTestId('exhibit-item').count();
  assert.ok(drawn > 0 && drawn < 80, `${drawn} rows drawn for 10,000 exhibits`);
  const list = page.getByTestId('exhibit-list');
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.getByTestId('exhibit-item').filter({ hasText: 'Exhibit 10000' }).waitFor();
  assert.ok((await page.getByTestId('exhibit-item').count()) < 80);
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await page.getByTestId('exhibit-item').filter({ hasText: /Exhibit 50\d\d\b/ }).first().waitFor();
  await page.locator('#evidence-filter').fill('note-09999');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="exhibit-item"]').length === 1);
  await page.getByTestId('exhibit-item').click();
  await page.getByTestId('exhibit-detail').filter({ hasText: 'Exhibit 9999' }).waitFor();
  await assertAccessible(page, 'evidence locker, 10,000 exhibits, filtered');
  assert.deepEqual(errors, []);
  await close();
});

test('a docketed case: the other side\'s exhibit gets an opinion, a mediation reply and an offline step are queued', async () => {
  const { page, errors, close } = await newPage('light');
  await page.goto(`${server.url}/evidence?locale=en-US&vault=open-sesame-123&courtcase`);
  await page.getByTestId('passphrase').fill('open-sesame-123');
  await page.getByTestId('unlock-submit').click();
  // One exhibit of ours in the locker, to offer into the exchange.
  await page.getByTestId('evidence-files').setInputFiles([{ name: 'transfer.txt', mimeType: 'text/plain', buffer: Buffer.from('20,000 yuan paid') }]);
  await page.getByTestId('exhibit-detail').waitFor();
  await page.getByTestId('nav-cases').click();
  await page.getByText('张三诉李四买卖合同纠纷').click();
  // Evidence exchange: their exhibit, sealed here; our opinion goes into the outbox.
  const exhibit = page.getByTestId('exchanged-exhibit');
  await exhibit.waitFor();
  assert.match(await exhibit.textContent(), /送货单 · li\.si/);
  assert.match(await exhibit.textContent(), /sealed/i);
  await exhibit.getByRole('combobox', { name: 'Authenticity' }).selectOption('dispute');
  await exhibit.getByRole('textbox').fill('The signature on the delivery note is not the defendant\'s.');
  await exhibit.getByRole('button', { name: 'Send the opinion' }).click();
  await exhibit.getByText('Waiting to be sent').waitFor();
  // Ours offered: shown as ours, waiting to be sent.
  await page.getByTestId('exchange-offer-choice').check();
  await page.getByTestId('exchange-offer-send').click();
  await page.getByTestId('exchanged-exhibit').nth(1).getByText('Waiting to be sent').waitFor();
  // Mediation: the mediator's question, our reply queued.
  await page.getByTestId('mediation-message').first().waitFor();
  await page.getByTestId('mediation-text').fill('We are willing to mediate.');
  await page.getByTestId('mediation-send').click();
  await page.getByTestId('mediation-outgoing').filter({ hasText: 'We are willing to mediate.' }).waitFor();
  // A step continued offline, with the reason.
  await page.getByTestId('offline-step-choice').selectOption('hearing');
  await page.getByTestId('offline-reason').fill('The defendant has no device for an online hearing.');
  await page.getByTestId('offline-mark').click();
  await page.getByTestId('offline-step').filter({ hasText: 'Hearing' }).waitFor();
  await assertAccessible(page, 'a docketed case with exchange, mediation and offline steps');
  assert.deepEqual(errors, []);
  await close();
});

for (const locale of ['zh-CN', 'en-US']) {
  test(`served documents show when service was completed and the deadline's date, open here, and are saved: ${locale}`, async () => {
    const zh = locale === 'zh-CN';
    const { page, errors, close } = await newPage(zh ? 'dark' : 'light');
    await page.goto(`${server.url}/inbox?locale=${locale}&vault=open-sesame-123&served`);
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('served-item').first().waitFor();
    const [pdf, notice] = [page.getByTestId('served-item').nth(0), page.getByTestId('served-item').nth(1)];
    assert.match(await pdf.getByTestId('served-at').textContent(), zh ? /^已于 .+（北京时间）送达/ : /^Served on .+ \(China time\)/);
    assert.equal(
      await pdf.getByTestId('served-deadline').textContent(),
      zh ? '送达已开始计算答辩期：最后一日为 2026-12-08。' : 'Its service started Time to answer: the last day is 2026-12-08.'
    );
    // The media type and digest are behind "details".
    assert.equal(await pdf.locator('details').getAttribute('open'), null);
    assert.ok(!(await pdf.locator('details code').isVisible()));
    // A PDF is saved to open in a PDF reader; a text notice opens here and prints.
    assert.equal(await pdf.getByTestId('served-open').count(), 0);
    await pdf.getByTestId('served-save').click();
    assert.match(await pdf.getByTestId('served-message').textContent(), zh ? /^已保存为 .+\.pdf$/ : /^Saved as .+\.pdf$/);
    await notice.getByTestId('served-open').click();
    await notice.getByTestId('served-view').waitFor();
    assert.match(await notice.getByTestId('served-view').textContent(), /请于收到本通知之日起十五日内提交证据/);
    assert.ok(await notice.getByTestId('served-print').isVisible());
    await assertAccessible(page, `served documents (${locale})`);
    assert.deepEqual(errors, []);
    await close();
  });
}

test('a fee notice shows its amount and last day, and opens the court\'s payment page', async () => {
  const { page, errors, close } = await newPage('light');
  await page.goto(`${server.url}/fees?locale=zh-CN&vault=open-sesame-123&fee`);
  await page.getByTestId('passphrase').fill('open-sesame-123');
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('fee-item').waitFor();
  assert.match(await page.getByTestId('fee-item').textContent(), /案件受理费 · 2,300\.00 元/);
  assert.equal(await page.getByTestId('fee-due').textContent(), `请于 ${chinaDay(-2)} 前缴纳`);
  await page.getByTestId('fee-pay').click();
  assert.match(await page.getByTestId('fee-opened').textContent(), /^法院缴费页面已在浏览器中打开/);
  await assertAccessible(page, 'fee notices');
  assert.deepEqual(errors, []);
  await close();
});

for (const locale of ['en-US', 'zh-CN']) {
  test(`the home view gathers what is due across cases, and the sidebar counts it: ${locale}`, async () => {
    const zh = locale === 'zh-CN';
    const { page, errors, close } = await newPage(zh ? 'dark' : 'light');
    await page.goto(`${server.url}/?locale=${locale}&vault=open-sesame-123&hearing&fee`);
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.waitForURL('**/today**');
    await page.getByTestId('today-item').first().waitFor();
    assert.equal(await page.getByTestId('nav-today').getAttribute('aria-current'), 'page', 'the home view is where the app opens');
    const overdue = page.getByTestId('today-group-overdue');
    assert.match(await overdue.textContent(), zh ? /缴费期限.*案件受理费.*已逾期 2 天/ : /Fee due.*案件受理费.*2 days overdue/);
    const week = page.getByTestId('today-group-week');
    assert.match(await week.textContent(), zh ? /庭审.*第一次开庭/ : /Hearing.*第一次开庭/);
    // Overdue and within three days: both counted in the sidebar.
    assert.equal(await page.getByTestId('nav-today-count').textContent(), '2');
    assert.equal(await page.getByTestId('today-item').count(), 2);
    await assertAccessible(page, `home view (${locale})`);
    // Each item leads to where the user acts on it.
    await page.getByTestId('today-group-overdue').getByTestId('today-item-link').click();
    await page.waitForURL('**/fees**');
    assert.deepEqual(errors, []);
    await close();
  });
}

for (const locale of ['zh-CN', 'en-US']) {
  test(`the month calendar shows hearings and deadlines on their day: ${locale}`, async () => {
    const zh = locale === 'zh-CN';
    const { page, errors, close } = await newPage(zh ? 'light' : 'dark');
    await page.goto(`${server.url}/calendar?locale=${locale}&vault=open-sesame-123&hearing`);
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('calendar-month').waitFor();
    // The hearing two days ahead (China time), on its day in the month (or the next one).
    const day = new Date(Date.now() + 8 * 3_600_000 + 2 * 86_400_000 + 3_600_000).toISOString().slice(0, 10);
    if (!(await page.locator(`td[data-day="${day}"]`).count())) await page.getByTestId('calendar-next').click();
    const cell = page.locator(`td[data-day="${day}"]`);
    assert.match(await cell.textContent(), /第一次开庭/);
    assert.equal(await cell.getByTestId('calendar-day-entry').getAttribute('data-kind'), 'hearing');
    const item = page.locator('[data-testid="calendar-item"][data-kind="hearing"]');
    assert.match(await item.textContent(), zh ? /庭审 · 第一次开庭/ : /Hearing · 第一次开庭/);
    await assertAccessible(page, `month calendar (${locale})`);
    await page.getByTestId('calendar-previous').click();
    await page.getByTestId('calendar-next').click();
    assert.deepEqual(errors, []);
    await close();
  });
}

test('hearings show their time and a countdown', async () => {
  const { page, errors, close } = await newPage('light');
  await page.goto(`${server.url}/hearings?locale=en-US&vault=open-sesame-123&hearing`);
  await page.getByTestId('passphrase').fill('open-sesame-123');
  await page.getByTestId('unlock-submit').click();
  await page.getByTestId('hearing-item').waitFor();
  assert.match(await page.getByTestId('hearing-countdown').textContent(), /^in 2 d 0 h 5\d min$|^in 2 d 1 h 0 min$/);
  await assertAccessible(page, 'hearings');
  // An asynchronous hearing's question: an empty answer is refused, a written one waits to be sent.
  await page.getByTestId('question-send').click();
  await page.getByRole('alert').waitFor();
  await page.getByTestId('question-answer').fill('已收到货物。');
  await page.getByTestId('question-send').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="action-state"]')?.textContent?.startsWith('Waiting to be sent'));
  assert.equal(await page.getByTestId('question-answer').inputValue(), '');
  await page.getByTestId('hearing-prepare').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="check-network"]')?.textContent?.includes('12 ms'));
  assert.ok(await page.getByTestId('check-submit').isDisabled(), 'identity and rules first');
  for (const box of ['check-quiet', 'check-lit', 'check-alone', 'check-identity', 'check-rules']) await page.getByTestId(box).check();
  await page.getByTestId('check-submit').click();
  await page.getByTestId('checked-in').waitFor();
  await page.getByTestId('hearing-join').click();
  await page.getByTestId('hearing-joined').waitFor();
  await page.getByTestId('hearing-log-export').click();
  assert.match(await page.getByTestId('check-message').textContent(), /^Connectivity log saved as /);
  await assertAccessible(page, 'pre-hearing check');
  assert.deepEqual(errors, []);
  await close();
});

for (const locale of ['en-US', 'zh-CN']) {
  test(`backups: choose a folder, back up now, set the schedule: ${locale}`, async () => {
    const { page, errors, close } = await newPage();
    const zh = locale === 'zh-CN';
    await openUnlocked(page, '/settings', locale);
    await page.getByTestId('backup-no-folder').waitFor();
    assert.equal(await page.getByTestId('backup-nudge').textContent(), zh ? '尚未设置备份' : 'Backups are not set up');
    await assertAccessible(page, `settings without a backup folder (${locale})`);
    await page.getByTestId('backup-choose').click();
    await page.getByTestId('backup-folder').waitFor();
    assert.match(await page.getByTestId('backup-folder').textContent(), /Courtside backups/);
    assert.match(await page.getByTestId('backup-last').textContent(), zh ? /尚未进行过备份/ : /No backup has been made yet/);
    await page.getByTestId('backup-now').click();
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="backup-last"]')?.textContent ?? ''));
    assert.match(await page.getByTestId('backup-last').textContent(), zh ? /上次成功备份/ : /Last good backup/);
    assert.equal(await page.getByTestId('backup-nudge').count(), 0, 'the sidebar stops asking once a backup is made');
    await page.getByTestId('backup-every').selectOption('12');
    assert.equal(await page.getByTestId('backup-every').inputValue(), '12');
    await assertAccessible(page, `settings after a backup (${locale})`);
    await page.getByTestId('backup-stop').click();
    await page.getByTestId('backup-no-folder').waitFor();
    assert.deepEqual(errors, []);
    await close();
  });

  test(`first run on a new computer: restore from a backup, a wrong passphrase on the field, then unlock: ${locale}`, async () => {
    const { page, errors, close } = await newPage();
    const zh = locale === 'zh-CN';
    await page.goto(`${server.url}/?locale=${locale}&backup`);
    await page.getByTestId('restore-link').click();
    await page.getByTestId('restore-folder').waitFor();
    assert.match(await page.getByTestId('restore-folder').textContent(), /Courtside backups/);
    await assertAccessible(page, `restore (${locale})`);
    await page.getByTestId('restore-secret').fill('not the passphrase');
    await page.getByTestId('restore-submit').click();
    await page.getByTestId('restore-wrong').waitFor();
    assert.equal(await page.getByTestId('restore-secret').getAttribute('aria-invalid'), 'true');
    assert.match(await page.getByTestId('restore-wrong').textContent(), zh ? /口令无法打开此备份/ : /does not open this backup/);
    await assertAccessible(page, `restore with an error (${locale})`);
    await page.getByTestId('restore-secret').fill('correct horse battery');
    await page.getByTestId('restore-submit').click();
    await page.getByTestId('restore-done').waitFor();
    assert.equal(await page.getByTestId('unlock-title').textContent(), zh ? '解锁 Courtside' : 'Unlock Courtside');
    await page.getByTestId('passphrase').fill('correct horse battery');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('nav-cases').waitFor();
    assert.deepEqual(errors, []);
    await close();
  });
}

test('your data: export everything, then erase this computer\'s data after typing ERASE (zh-CN)', async () => {
  const { page, errors, close } = await newPage();
  await openUnlocked(page, '/settings', 'zh-CN');
  await page.getByTestId('export-everything').click();
  await page.getByTestId('export-done').waitFor();
  assert.match(await page.getByTestId('export-done').textContent(), /^已导出到 .*courtside-export-/);
  await page.getByTestId('erase-start').click();
  assert.ok(await page.getByTestId('erase-submit').isDisabled(), 'erase waits for the typed confirmation');
  await assertAccessible(page, 'erase confirmation (zh-CN)');
  await page.getByTestId('erase-cancel').click();
  await page.getByTestId('erase-start').click();
  await page.getByTestId('erase-confirm').fill('ERASE');
  await page.getByTestId('erase-submit').click();
  await page.getByTestId('unlock-title').waitFor();
  assert.equal(await page.getByTestId('unlock-title').textContent(), '创建加密保险库');
  assert.deepEqual(errors, []);
  await close();
});

for (const locale of ['en-US', 'zh-CN']) {
  test(`damaged items: named on every page with what happened and what to do, and listed by the vault check: ${locale}`, async () => {
    const { page, errors, close } = await newPage();
    await page.goto(`${server.url}/cases?locale=${locale}&vault=open-sesame-123&damaged`);
    await page.getByTestId('passphrase').fill('open-sesame-123');
    await page.getByTestId('unlock-submit').click();
    await page.getByTestId('vault-damage').waitFor();
    const lines = await page.getByTestId('vault-damage-item').allTextContents();
    assert.deepEqual(
      lines,
      locale === 'zh-CN'
        ? ['一个案件：被换回了较早的副本', '一项证据的原始文件：保存后其内容被改动']
        : ['A case: an older copy of it was put back in its place', "An exhibit's original file: its contents changed after Courtside saved them"]
    );
    // The opaque item names are behind the details toggle, not in what is shown.
    assert.ok(!(await page.getByTestId('vault-damage').innerText()).includes('cases/5f0c'));
    await assertAccessible(page, `damage notice (${locale})`);
    // The same list from a full check in Settings; the notice can be hidden until next unlock.
    await page.getByTestId('vault-damage-settings').click();
    await page.getByTestId('check-vault').click();
    await page.getByTestId('check-vault-damaged').waitFor();
    assert.equal((await page.locator('[data-testid="check-vault-damaged"] li').allTextContents()).length, 2);
    await page.getByTestId('vault-damage-dismiss').click();
    assert.equal(await page.getByTestId('vault-damage').count(), 0);
    assert.deepEqual(errors, []);
    await close();
  });
}

test('an intact vault: no damage notice, and the check says every item opens', async () => {
  const { page, errors, close } = await newPage();
  await openUnlocked(page, '/settings', 'en-US');
  await page.getByTestId('check-vault').click();
  await page.getByTestId('check-vault-intact').waitFor();
  assert.equal(await page.getByTestId('vault-damage').count(), 0);
  assert.deepEqual(errors, []);
  await close();
});
