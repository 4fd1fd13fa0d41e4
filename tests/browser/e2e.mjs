// End-to-end: the Waarborg web interface in headless Chromium, driven by playwright-core.
//
//   node e2e.mjs BASE_URL ACCOUNTS_FILE PROBE_IMAGE SCREENSHOT_DIR GALLERY_IMAGE
//
// Logs in as the examiner, searches, proposes; as two verifiers, confirms; checks that the
// ledger shows each step and verifies; tries the forbidden paths (self-verification, a
// search without case authorisation, a search under a suspended deployment, an auditor
// writing) and sees them refused. Screenshots of the main screens go to SCREENSHOT_DIR.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const [base, accountsFile, probe, shots, gallery, clip, caseReport] = process.argv.slice(2);
const passwords = Object.fromEntries(
  readFileSync(accountsFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/)).map(([user, , password]) => [user, password]));
if (shots) mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
let step = 0;
const log = (what) => console.log(`ok ${++step} - ${what}`);

async function session(user, role) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(base + '/');
  await page.fill('#user', user);
  await page.fill('#password', passwords[user]);
  await page.selectOption('#role', role);
  await Promise.all([page.waitForNavigation(), page.click('button')]);
  assert.ok((await page.content()).includes(user), `${user} is signed in`);
  return { context, page };
}

// Every screen with a screenshot is also checked with axe-core against WCAG 2 A and AA:
// a serious or critical violation fails the test, naming the rule and the elements.
const checked = [];
async function shot(page, name, fullPage = true) {
  await accessible(page, name);
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage });
}

// A page read on a 390-px-wide telephone screen: nothing runs off to the side.
async function narrow(page, name) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (shots) await page.screenshot({ path: `${shots}/${name}-390px.png`, fullPage: true });
  await page.setViewportSize(size);
  assert.ok(wide <= 390, `${name} is ${wide} px wide on a 390-px screen`);
}

async function accessible(page, name) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() => axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `accessibility of ${name}`,
  );
  checked.push(name);
}

// A write posted as this site's own pages post it: the browser names the origin (no token
// travels in a URL); the service refuses writes from other sites.
const sameSite = { origin: new URL(base).origin };

try {
  // The login page and the public register, in Dutch, without logging in.
  {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(base + '/');
    await shot(page, '01-login');
    await page.goto(base + '/register?lang=nl');
    assert.ok((await page.textContent('h1')).includes('Register van gezichtsherkenningstoepassingen'));
    assert.ok((await page.content()).includes('catch-demo'));
    await shot(page, '02-public-register-nl');
    await context.close();
    log('login page and the public register (Dutch) without login');
  }

  // The examiner searches.
  const ex = await session('examiner-1', 'examiner');
  await ex.page.goto(base + '/ui/searches/new');
  await ex.page.fill('#case', 'OM-DEMO-0001');
  await ex.page.selectOption('#probe_source', 'crime_scene_cctv');
  await ex.page.setInputFiles('#probe', probe);
  await shot(ex.page, '03-examiner-new-search');
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('form.card button')]);
  assert.match(ex.page.url(), /\/ui\/searches\/S-/);
  const searchUrl = ex.page.url();
  const faces = await ex.page.locator('ol.faces li').count();
  assert.ok(faces >= 1, 'faces with their quality are shown');
  assert.equal(await ex.page.locator('svg rect.face-box').count(), faces, 'every face boxed on the probe');
  // A face the detector missed is drawn on the probe: a box dragged, then the two eyes
  // clicked; the script fills the marking form's fields (not sent here).
  {
    await ex.page.click('#mark summary');
    await ex.page.locator('figure.probe-faces svg').scrollIntoViewIfNeeded();
    const r = await ex.page.locator('figure.probe-faces svg').boundingBox();
    await ex.page.mouse.move(r.x + 20, r.y + 20);
    await ex.page.mouse.down();
    await ex.page.mouse.move(r.x + 120, r.y + 140, { steps: 5 });
    await ex.page.mouse.up();
    await ex.page.mouse.click(r.x + 50, r.y + 60);
    await ex.page.mouse.click(r.x + 90, r.y + 60);
    const value = async (id) => Number(await ex.page.inputValue(id));
    assert.ok(await value('#mark-width') > 0 && await value('#mark-height') > await value('#mark-width'), 'the box drawn fills the form');
    assert.ok(await value('#left-eye-x') > await value('#right-eye-x') && await value('#right-eye-x') > await value('#mark-x'), 'the eyes clicked fill the form');
    await ex.page.click('#mark summary');
  }
  // A face is picked by clicking its box on the probe, then searched with.
  await Promise.all([ex.page.waitForNavigation(), ex.page.locator('svg a').first().click()]);
  assert.equal(await ex.page.locator('svg rect.face-box.selected').count(), 1, 'the clicked face is marked');
  await shot(ex.page, '04-examiner-faces-and-quality');
  log(`examiner submitted a probe: ${faces} faces boxed with their quality; picked one on the probe`);
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('ol.faces li.selected button')]);
  const candidates = ex.page.locator('text=Candidate list');
  assert.equal(await candidates.count(), 1, 'a candidate list');
  assert.ok((await ex.page.content()).includes('never identifications'));
  await shot(ex.page, '05-examiner-candidates');
  log('examiner searched with a face: candidate list, marked as never an identification');
  // A derived probe: the chosen face cropped (the form offers it) and lightened, a new
  // search of the case naming its parent; the original stays as it was.
  let derivedUrl, frameUrl;
  {
    await ex.page.goto(searchUrl + '?face=0');
    await ex.page.click('#prepare summary');
    await ex.page.fill('#brightness', '15');
    await Promise.all([ex.page.waitForNavigation(), ex.page.click('#prepare button')]);
    assert.notEqual(ex.page.url(), searchUrl, 'a new search');
    assert.ok((await ex.page.textContent('p.note')).includes('prepared from the probe of search'));
    assert.ok((await ex.page.locator('ol.faces li').count()) >= 1, 'the face is found in the crop');
    await shot(ex.page, '30-examiner-derived-probe');
    derivedUrl = ex.page.url();
    await ex.page.goto(searchUrl);
    log('the examiner prepared a derived probe: cropped and lightened, naming its parent');
  }
  // Frames of a recorded video: one at a time named, one picked as the best; both probes of
  // the case, listed in its folder with the video's time.
  {
    await ex.page.goto(base + '/ui/searches/new?case=OM-DEMO-0001');
    await ex.page.setInputFiles('#video-file', clip);
    await ex.page.fill('#video-at', '0,5');
    await ex.page.fill('#video-best', '1');
    await shot(ex.page, '31-examiner-video');
    // Submitted as Enter would (requestSubmit runs the form's validation): after the
    // full-page screenshot, a click on a button below the first screen sends nothing in
    // headless Chromium; the same click without the screenshot submits (checked by hand).
    await Promise.all([ex.page.waitForNavigation({ timeout: 120000 }), ex.page.locator('#video').evaluate((f) => f.requestSubmit())]);
    assert.match(ex.page.url(), /\/ui\/cases\/OM-DEMO-0001/);
    const folder = await ex.page.textContent('#outcome');
    assert.ok(folder.includes('frame at 0.5 s of video'), folder);
    assert.equal((folder.match(/of video/g) || []).length, 2, 'two frames taken');
    await shot(ex.page, '32-examiner-video-frames-in-folder');
    frameUrl = new URL(await ex.page.locator('#outcome li:has-text("frame at 0.5 s") a').getAttribute('href'), base).href;
    log('the examiner took two frames of a recorded video as probes of the case');
  }
  // The two probes worked (issue 18): the prepared crop and the video frame, each searched
  // with its face and compared side by side with a candidate; the frame's comparison,
  // feature by feature, becomes the proposal the verifiers judge.
  for (const url of [derivedUrl, frameUrl]) {
    await ex.page.goto(url);
    await Promise.all([ex.page.waitForNavigation(), ex.page.locator('ol.faces li button').first().click()]);
    assert.ok(await ex.page.locator('a.compare').count() >= 1, 'each candidate can be compared');
  }
  const workUrl = frameUrl;
  await ex.page.goto(workUrl);
  // Keys move between persons in the grid (the script); the first person's comparison.
  await ex.page.locator('ol.people > li.person').first().focus();
  await ex.page.keyboard.press('j');
  await ex.page.keyboard.press('k');
  assert.equal(await ex.page.evaluate(() => document.activeElement.id), 'person-1', 'j then k comes back to the first person');
  await Promise.all([ex.page.waitForNavigation(), ex.page.locator('ol.people > li.person a.compare').first().click()]);
  assert.match(ex.page.url(), /\/compare\/\d+$/);
  const compareUrl = ex.page.url();
  assert.equal(await ex.page.locator('svg.zoomable image').count(), 4, 'both faces, and both again in the overlay the script builds');
  assert.equal(await ex.page.locator('g.landmarks circle').count(), 10, 'five key points on each face');
  assert.ok(!(await ex.page.locator('g.landmarks').first().isVisible()), 'key points hidden until asked for');
  await ex.page.check('#show-landmarks');
  assert.ok(await ex.page.locator('g.landmarks').first().isVisible(), 'key points shown (no script needed)');
  // Zoom keeps both faces in step; the overlay blends, wipes and flickers.
  await ex.page.click('button[data-zoom="in"]');
  const boxes = await ex.page.locator('svg.zoomable').evaluateAll((all) => all.map((s) => s.getAttribute('viewBox')));
  assert.ok(boxes[0] !== '0 0 320 420' && boxes.every((b) => b === boxes[0]), `zoomed in step: ${boxes}`);
  await ex.page.check('input[name="overlay-mode"][value="wipe"]');
  await ex.page.fill('#overlay-amount', '30');
  assert.equal(await ex.page.locator('#wipe rect').getAttribute('width'), '96', 'the wipe follows the slider');
  await ex.page.check('input[name="overlay-mode"][value="blend"]');
  await shot(ex.page, '33-examiner-comparison');
  await narrow(ex.page, '33-examiner-comparison');
  // Every feature marked (the browser refuses the form until then), a level, reasons.
  const features = await ex.page.locator('fieldset.feature').count();
  assert.equal(features, 18, 'the FISWG feature list');
  for (let f = 0; f < features; f++) {
    const mark = f === 17 || f === 15 ? 'not_assessable' : 'similar';
    await ex.page.locator('fieldset.feature').nth(f).locator(`input[value="${mark}"]`).check();
  }
  await ex.page.fill('input[name="note.ears"]', 'Lobes attached, same helix shape.');
  await ex.page.selectOption('#level', 'identification_support_moderate');
  await ex.page.fill('#comparison-reasons', 'Face shape, ears and hairline agree with the reference image.');
  await shot(ex.page, '34-examiner-comparison-form');
  await Promise.all([ex.page.waitForNavigation(), ex.page.locator('#comparison').evaluate((f) => f.requestSubmit())]);
  assert.ok(ex.page.url().startsWith(workUrl), 'back on the search');
  assert.ok((await ex.page.content()).includes('Moderate support that the candidate is the person'));
  assert.ok((await ex.page.content()).includes('16 similar, 0 dissimilar, 2 not assessable'), 'the comparison is kept with the proposal');
  log('examiner compared a candidate side by side (key points, zoom, overlay) and proposed from the feature form');
  // Verification is assigned: two verifiers of the deployment's unit.
  for (const v of ['verifier-1', 'verifier-2']) {
    await ex.page.selectOption('#verifier', v);
    await Promise.all([ex.page.waitForNavigation(), ex.page.click('#assign button')]);
  }
  const assigned = await ex.page.textContent('#assigned');
  assert.ok(assigned.includes('verifier-1') && assigned.includes('verifier-2'), `both assigned: ${assigned}`);
  // An assignment can be withdrawn before the verifier acts, and made again.
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('button[aria-label="Withdraw: verifier-2"]')]);
  assert.ok(!(await ex.page.textContent('#assigned')).includes('verifier-2'), 'withdrawn');
  await ex.page.selectOption('#verifier', 'verifier-2');
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('#assign button')]);
  log('examiner assigned two verifiers (one withdrawn and assigned again)');

  // The examiner cannot verify their own proposal, even as a verifier.
  const self = await session('examiner-1', 'verifier');
  await self.page.goto(workUrl);
  assert.equal(await self.page.locator('#verdict').count(), 0, 'no verification form for your own proposal');
  const selfTry = await self.page.request.post(`${workUrl}/verify`, { headers: sameSite, form: { verdict: 'agree', reasons: 'my own' } });
  assert.equal(selfTry.status(), 422);
  assert.ok((await selfTry.text()).includes('own proposal'));
  log('self-verification refused');

  // A verifier not assigned neither has it in the queue nor reads it.
  {
    const v3 = await session('verifier-3', 'verifier');
    await v3.page.goto(base + '/ui/searches');
    assert.ok(!(await v3.page.content()).includes(workUrl.split('/').pop()), 'not in an unassigned queue');
    const read = await v3.page.goto(workUrl);
    assert.equal(read.status(), 403, 'an unassigned verifier does not read the search');
    await v3.context.close();
    log('an unassigned verifier neither sees nor reads the search');
  }
  // Two independent verifiers, each blind to the other until recording; the second
  // disagrees, and a third, assigned by the coordinator, resolves the dispute.
  const verdicts = { 'verifier-1': 'agree', 'verifier-2': 'disagree', 'verifier-3': 'agree' };
  for (const [i, v] of ['verifier-1', 'verifier-2', 'verifier-3'].entries()) {
    if (v === 'verifier-3') {
      const co = await session('coordinator-1', 'coordinator');
      await co.page.goto(workUrl);
      const disputed = await co.page.content();
      assert.ok(disputed.includes('disputed'), 'the coordinator sees the dispute');
      assert.ok(disputed.includes('verifier-2') && disputed.includes('Disagree'), 'everyone\'s position shown');
      await shot(co.page, '21-coordinator-dispute');
      await co.page.selectOption('#verifier', 'verifier-3');
      await Promise.all([co.page.waitForNavigation(), co.page.click('#assign button')]);
      await co.context.close();
      log('the coordinator assigned a further verifier to the dispute');
    }
    const s = await session(v, 'verifier');
    await s.page.goto(base + '/ui/searches');
    assert.ok((await s.page.content()).includes(workUrl.split('/').pop()), `${v} sees the proposal in the queue`);
    await s.page.goto(workUrl);
    // Blind first (issue 16): no proposal, no reasoning, no score; their own conclusion.
    const blindPage = await s.page.content();
    assert.ok(blindPage.includes('Compare the probe with the candidates yourself first'), 'blind');
    assert.ok(!blindPage.includes('Face shape, ears and hairline'), 'the examiner\'s reasoning is not shown');
    assert.equal(await s.page.locator('#verdict').count(), 0, 'no verdict before one\'s own conclusion');
    if (i === 1) await shot(s.page, '06-verifier-blind');
    // Nothing chosen: refused, nothing recorded.
    const empty = await s.page.request.post(`${workUrl}/own-conclusion`, { headers: sameSite, form: { level: '', reference: '', reasons: 'nothing chosen' } });
    assert.equal(empty.status(), 400, 'a form with nothing chosen is refused');
    if (v === 'verifier-1') {
      // Their own comparison, side by side and blind: no rank, no score, no proposal.
      await s.page.goto(compareUrl);
      const blindCompare = await s.page.content();
      assert.ok(!blindCompare.includes('Score') && !blindCompare.includes('Face shape, ears'), 'the comparison view is blind');
      for (const f of await s.page.locator('fieldset.feature').all()) await f.locator('input[value="similar"]').check();
      await s.page.selectOption('#level', 'identification_support_strong');
      await s.page.fill('#comparison-reasons', `${v}: compared for myself, feature by feature.`);
      await Promise.all([s.page.waitForNavigation(), s.page.locator('#comparison').evaluate((f) => f.requestSubmit())]);
    } else {
      if (verdicts[v] === 'agree') {
        await s.page.selectOption('#level', 'identification_support_strong');
        await s.page.selectOption('#reference', { index: 1 });
      } else {
        await s.page.selectOption('#level', 'inconclusive');
      }
      await s.page.fill('#judgement-reasons', `${v}: compared for myself.`);
      await Promise.all([s.page.waitForNavigation(), s.page.click('text=Record my own conclusion')]);
    }
    assert.ok((await s.page.content()).includes('Face shape, ears and hairline'), 'the proposal, shown after');
    assert.ok((await s.page.content()).includes('shown once yours is recorded') || i === 0, 'the other verdicts hidden');
    await s.page.selectOption('#verdict', verdicts[v]);
    await s.page.fill('#reasons', `${v}: compared independently.`);
    await Promise.all([s.page.waitForNavigation(), s.page.click('text=Record my verification')]);
    log(`${v} recorded their own conclusion blind, then ${verdicts[v]}d`);
    if (v === 'verifier-3') {
      const html = await s.page.content();
      assert.ok(html.includes('Resolved by the further verifier'), 'resolved by the further verifier');
      assert.ok(html.includes('identification'), 'the outcome is an identification');
      await shot(s.page, '07-verified-identification');
    }
    await s.context.close();
  }

  // An examiner whose qualification expired is refused by the gate, in words.
  {
    const ex2 = await session('examiner-2', 'examiner');
    await ex2.page.goto(base + '/ui/searches/new');
    await ex2.page.fill('#case', 'OM-DEMO-0001');
    await ex2.page.setInputFiles('#probe', probe);
    await Promise.all([ex2.page.waitForNavigation(), ex2.page.click('form.card button')]);
    assert.ok((await ex2.page.content()).includes('qualification_expired'), 'refused: qualification expired');
    await shot(ex2.page, '22-refused-expired-examiner');
    await ex2.context.close();
    log('an examiner whose qualification expired is refused by the gate');
  }
  // The competence register: expiries shown ahead of time.
  {
    const hr = await session('competence-1', 'competence_administrator');
    await hr.page.goto(base + '/ui/competence');
    const register = await hr.page.content();
    assert.ok(register.includes('expired') && register.includes('expires soon'), 'expired and expiring shown');
    await shot(hr.page, '23-competence-register');
    await hr.context.close();
    log('the competence register shows who expired and who expires soon');
  }
  // The coordinator plants a proficiency test in the examiner's work.
  {
    const co = await session('coordinator-1', 'coordinator');
    await co.page.goto(base + '/ui/proficiency');
    await co.page.fill('#deployment', 'catch-demo');
    await co.page.fill('#case_number', 'OM-2026-0917');
    await co.page.fill('#examiner', 'examiner-1');
    await co.page.setInputFiles('#probe', probe);
    await co.page.setInputFiles('#gallery', [gallery, probe]);
    await co.page.fill('#mated', '2');
    await Promise.all([co.page.waitForNavigation(), co.page.click('#plant button')]);
    assert.ok((await co.page.content()).includes('OM-2026-0917'), 'planted');
    await shot(co.page, '24-proficiency');
    await co.context.close();
    await ex.page.goto(base + '/ui/searches');
    assert.ok((await ex.page.content()).includes('OM-2026-0917'), 'in the examiner\'s work, like any search');
    log('the coordinator planted a proficiency test; the examiner has it among their searches');
  }

  // The case folder: the examiner's search with its outcome, and a note kept with the case.
  await ex.page.goto(base + '/ui/cases');
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('a:text("OM-DEMO-0001")')]);
  await ex.page.fill('#note', 'Requested the original recording of camera 3 from the requester.');
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('#notes form button')]);
  assert.ok((await ex.page.textContent('#notes')).includes('camera 3'), 'the note is kept with the case');
  const outcome = await ex.page.textContent('#outcome');
  assert.ok(outcome.includes('Verified independently by'), outcome);
  await shot(ex.page, '28-examiner-case-folder');
  await narrow(ex.page, '28-examiner-case-folder');
  // The case report for the file, downloaded from the folder (a logged disclosure); its
  // proofs are checked by the independent verifier (scripts/browser-test.sh).
  const [download] = await Promise.all([ex.page.waitForEvent('download'), ex.page.click('a[href$="/report.json"]')]);
  await download.saveAs(caseReport);
  const report = JSON.parse(readFileSync(caseReport, 'utf8'));
  assert.ok(report.searches.length >= 4, `every probe of the case: ${report.searches.length}`);
  assert.ok(report.searches.some((s) => s.search.frame) && report.searches.some((s) => s.search.derivation), 'the frame and the prepared crop');
  const worked = report.searches.find((s) => workUrl.endsWith(s.search.id));
  assert.equal(worked.search.identification.proposal.comparison.features.length, 18, 'the comparison form in the report');
  assert.equal(worked.search.identification.outcome.outcome, 'identification', 'the verified identification');
  // The same report printed for the file, in Dutch (rendered back to images by the script).
  const pdf = await ex.page.request.get(`${base}/ui/cases/OM-DEMO-0001/report.pdf?lang=nl`);
  assert.equal(pdf.status(), 200);
  const printed = await pdf.body();
  assert.equal(printed.subarray(0, 4).toString(), '%PDF', 'a PDF');
  writeFileSync(caseReport.replace(/\.json$/, '-nl.pdf'), printed);
  await ex.page.goto(searchUrl);
  await narrow(ex.page, '04-examiner-search');
  log('the case folder holds the searches, their outcomes and a note; its report downloaded as JSON and PDF');

  // A search for a case without authorisation is refused.
  await ex.page.goto(base + '/ui/searches/new');
  await ex.page.fill('#case', 'OM-NOT-AUTHORISED');
  await ex.page.setInputFiles('#probe', probe);
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('form.card button')]);
  assert.ok((await ex.page.content()).includes('no_case'), 'refused: no case authorisation');
  await shot(ex.page, '08-refused-no-case');
  log('search without case authorisation refused');

  // An auditor reads but cannot write.
  const au = await session('auditor-1', 'auditor');
  const write = await au.page.request.post(`${searchUrl}/proposal`, { headers: sameSite, form: { conclusion: 'inconclusive', reasoning: 'auditor trying' } });
  assert.equal(write.status(), 403);
  log('auditor refused a write');

  // The requester asks for a search for a new case and sees the worked case's outcome; the
  // prosecutor grants the new request with reasons.
  {
    const officer = await session('officer-1', 'requester');
    await officer.page.goto(base + '/ui/cases');
    const worked = officer.page.locator('tr:has-text("OM-DEMO-0001")');
    assert.ok((await worked.textContent()).includes('Identification'), 'the worked case shows its outcome');
    // The requester's case folder: the outcome as a statement, never a candidate.
    await Promise.all([officer.page.waitForNavigation(), worked.locator('a:text("OM-DEMO-0001")').click()]);
    const folder = await officer.page.textContent('#outcome');
    assert.ok(folder.includes('Identification: person record') && folder.includes('Verified independently by'), folder);
    assert.equal(await officer.page.locator('img').count(), 0, 'no image for the requester');
    assert.equal(await officer.page.locator('a[href^="/ui/searches/"]').count(), 0, 'no search for the requester');
    await shot(officer.page, '27-requester-case-folder');
    await narrow(officer.page, '27-requester-case-folder');
    // What the investigation found of the identification (issue 19): recorded by the
    // requester on the folder, shown with the statement.
    const feedback = officer.page.locator('form.feedback').first();
    await feedback.locator('select[name="finding"]').selectOption('lead_confirmed');
    await feedback.locator('input[name="found_on"]').fill(new Date().toISOString().slice(0, 10));
    await Promise.all([officer.page.waitForNavigation(), feedback.evaluate((f) => f.requestSubmit())]);
    assert.ok((await officer.page.textContent('#outcome')).includes('What the investigation found: the lead was confirmed'), 'the finding is shown');
    await shot(officer.page, '36-requester-feedback');
    await officer.page.goto(base + '/ui/cases/OM-DEMO-0001?lang=nl');
    assert.ok((await officer.page.textContent('#outcome')).includes('Identificatie: persoonsregistratie'));
    await shot(officer.page, '27-requester-case-folder-nl');
    // A page that is not theirs: a page in their language that says what to do, no JSON.
    const refused = await officer.page.goto(base + '/ui/searches?lang=nl');
    assert.equal(refused.status(), 403);
    assert.ok((await officer.page.content()).includes('vraag het uw coördinator'));
    await shot(officer.page, '29-requester-refused-nl');
    await officer.page.goto(base + '/ui/cases?lang=en');
    await narrow(officer.page, '12-requester-cases');
    await officer.page.fill('#case_number', 'OM-E2E-0002');
    await officer.page.fill('#offence', 'robbery of a petrol station');
    await officer.page.fill('#offence_category', 'robbery');
    await officer.page.fill('#max_sentence_years', '12');
    await officer.page.fill('#justification', 'Armed robbery; the only lead is the petrol station camera image.');
    await Promise.all([officer.page.waitForNavigation(), officer.page.click('#request button')]);
    assert.ok((await officer.page.textContent('tr:has-text("OM-E2E-0002")')).includes('awaiting the decision'));
    await shot(officer.page, '12-requester-cases');
    const prosecutor = await session('prosecutor-1', 'competent_authority');
    await prosecutor.page.goto(base + '/ui/cases');
    const row = prosecutor.page.locator('tr:has-text("OM-E2E-0002")');
    assert.ok((await row.textContent()).includes('the only lead is the petrol station camera'), 'the authority reads the justification');
    // Grant and refuse are two distinct forms, each confirmed before it is sent.
    await row.locator('details.grant summary').click();
    await row.locator('details.grant textarea[name="reason"]').fill('Proportionate: armed robbery, no lighter means left');
    await shot(prosecutor.page, '40-authority-decision');
    await row.locator('details.grant button.grant').click();
    assert.ok(await row.locator('details.grant input[name="confirm"]:invalid').count() === 1, 'not sent unconfirmed');
    await row.locator('details.grant input[name="confirm"]').check();
    await Promise.all([prosecutor.page.waitForNavigation(), row.locator('details.grant button.grant').click()]);
    await officer.page.reload();
    assert.ok((await officer.page.textContent('tr:has-text("OM-E2E-0002")')).includes('authorised'));
    await officer.context.close();
    await prosecutor.context.close();
    log('the requester records what the investigation found, asks for a search; the prosecutor grants it with reasons');
  }
  // The applicant proposes a new deployment with the form; it is registered as a draft.
  {
    const applicant = await session('applicant-1', 'applicant');
    await applicant.page.goto(base + '/ui/deployments/new');
    assert.ok((await applicant.page.content()).includes('Weighing factors'), 'the framework is beside the form');
    await applicant.page.fill('#id', 'retro-west');
    await applicant.page.fill('#name', 'Retrospective search, unit West');
    await applicant.page.fill('#offence_categories', 'robbery, burglary');
    // Valid from today; the assessment's risks and measures written (points (a), (b), (c)
    // and (e) come prefilled from the revision), and brought up to date.
    const today = new Date().toISOString().slice(0, 10);
    await applicant.page.fill('#valid_from', today);
    await applicant.page.fill('#fria_risks', 'A wrong lead against an innocent person in the reference database.');
    await applicant.page.fill('#fria_measures_and_complaints', 'Suspension by the chief or the privacy officer; complaints to the privacy officer.');
    await applicant.page.check('#fria_up_to_date');
    // Issue 21: the shipped models are licensed for research only, so this use is marked a
    // demonstration; an operational one would not be activated on them.
    await applicant.page.check('#demonstration');
    await shot(applicant.page, '13-applicant-proposal');
    await Promise.all([applicant.page.waitForNavigation(), applicant.page.click('#proposal button')]);
    const draft = await applicant.page.content();
    assert.ok(draft.includes('<strong>draft</strong>') && draft.includes('value="submit"'), 'registered as a draft');
    assert.ok(draft.includes('non-commercial research use only') && draft.includes('not for operational use'), 'the models\' licence, from the model cache, is on the page');
    // Issue 21 item 2: the accuracy evaluation of exactly these models (the demo evaluated
    // them on the test set made from the sample photos), the recommended threshold beside
    // the chosen one.
    assert.ok(/\d+ images, \d+ mated and \d+ non-mated pairs/.test(draft) && draft.includes('Recommended threshold for FPIR') && draft.includes('chosen threshold'), 'the models\' accuracy evaluation is on the page');
    // Issue 19 item 7: only the steps that apply are offered; activation is listed with why.
    assert.ok(!draft.includes('<option value="activate"'), 'activation is not offered on a draft');
    assert.ok((await applicant.page.textContent('#not-now')).includes('Only an approved revision is put into use'), 'and the page says why');
    // The registration is recorded as a step of its own (before use), and shows.
    await applicant.page.fill('#record_registration-reference', 'EU-LE-2026-0099');
    await Promise.all([applicant.page.waitForNavigation(), applicant.page.locator('#record_registration').evaluate((f) => f.requestSubmit())]);
    assert.ok((await applicant.page.textContent('#fria')).includes('EU-LE-2026-0099'), 'the registration reference is recorded');
    await shot(applicant.page, '41-applicant-draft-steps');
    log('the applicant proposes a deployment; it is a draft; only applicable steps are offered; the registration is recorded');
    // Issue 19 Done-when: from draft to active through the whole chain in the browser —
    // each step by its role, the activation refused until the assessment's notification
    // is recorded.
    const page = base + '/ui/deployments/retro-west';
    const step = async (who, value, reason) => {
      await who.page.goto(page);
      await who.page.selectOption('#step', value);
      if (reason) await who.page.fill('#reason', reason);
      await Promise.all([who.page.waitForNavigation(), who.page.locator('#decide form').first().evaluate((f) => f.requestSubmit())]);
    };
    await step(applicant, 'submit');
    let first;
    for (const m of ['member-1', 'member-2', 'member-3']) {
      const member = await session(m, 'review_committee_member');
      await member.page.goto(page);
      for (const select of await member.page.locator('#assess select').all()) await select.selectOption('favourable');
      for (const reasons of await member.page.locator('#assess textarea').all()) await reasons.fill('Considered on the revision as written; met.');
      await Promise.all([member.page.waitForNavigation(), member.page.locator('#assess').evaluate((f) => f.requestSubmit())]);
      if (m === 'member-1') first = member;
      else await member.context.close();
    }
    await step(applicant, 'attest:reporting_agreed');
    await step(applicant, 'attest:accountability_named');
    const privacy = await session('privacy-1', 'privacy_officer');
    await step(privacy, 'attest:security_reviewed');
    await step(first, 'advise_positive', 'All factors favourable; the preconditions are met.');
    await first.context.close();
    const chief = await session('chief-1', 'chief_of_police');
    await step(chief, 'ratify', 'Ratified on the committee\'s positive advice.');
    await chief.context.close();
    const prosecutor = await session('prosecutor-1', 'competent_authority');
    await step(prosecutor, 'authority_approve', 'No objection.');
    await prosecutor.context.close();
    await applicant.page.goto(page);
    assert.ok(!(await applicant.page.content()).includes('<option value="activate"'), 'not offered before the notification is recorded');
    assert.ok((await applicant.page.textContent('#not-now')).includes('fria_notified'), 'and the page names the missing notification');
    await privacy.page.goto(page);
    await privacy.page.fill('#record_fria_notification-on', today);
    await privacy.page.fill('#record_fria_notification-reference', 'MSA-2026-0123');
    await Promise.all([privacy.page.waitForNavigation(), privacy.page.locator('#record_fria_notification').evaluate((f) => f.requestSubmit())]);
    await privacy.context.close();
    await step(applicant, 'activate');
    assert.ok((await applicant.page.content()).includes('<strong>active</strong>'), 'active after the whole chain');
    await shot(applicant.page, '42-deployment-active');
    // The demonstration over, the applicant ends the use (the rest of the test searches
    // under the demo's use only).
    await step(applicant, 'end', 'Browser test: the demonstration of the chain is over.');
    assert.ok((await applicant.page.content()).includes('<strong>ended</strong>'), 'ended');
    await applicant.context.close();
    log('a new deployment goes from draft to active through the whole chain, only once its assessment is notified and the use registered');
  }
  // An incident (issue 19): the examiner reports it, the privacy officer classifies it
  // serious; its clocks show, the provider's due at once.
  {
    await ex.page.goto(base + '/ui/incidents');
    await ex.page.selectOption('#incident-deployment', 'catch-demo');
    await ex.page.fill('#incident-description', 'A candidate list was shared with the requester before verification.');
    await ex.page.fill('#incident-aware', new Date().toISOString().slice(0, 10));
    await Promise.all([ex.page.waitForNavigation(), ex.page.locator('#report-incident').evaluate((f) => f.requestSubmit())]);
    assert.ok((await ex.page.content()).includes('not yet classified'), 'reported, not yet classified');
    const po = await session('privacy-1', 'privacy_officer');
    await po.page.goto(base + '/ui/incidents');
    const incident = po.page.locator('section.card').first();
    await incident.locator('details:has(select[name="classification"]) summary').click();
    await incident.locator('select[name="classification"]').selectOption('other_serious');
    await incident.locator('textarea[name="reasons"]').first().fill('Harm to the rights of a person not yet verified as the offender.');
    await Promise.all([po.page.waitForNavigation(), incident.locator('form[action$="/classification"]').evaluate((f) => f.requestSubmit())]);
    const clocks = await po.page.textContent('section.card caption');
    assert.ok(clocks.includes('Art. 73'), 'the clocks are shown');
    assert.equal(await po.page.locator('section.card tbody tr').count(), 2, 'the provider and the authority');
    await shot(po.page, '38-incident-clocks');
    log('an incident reported and classified serious: its Art. 73 clocks show');
    // Monitoring (issue 19 item 3): the demo's framework sets its thresholds low, so the
    // demo's identification already crossed one; the privacy officer acknowledges the alert.
    await po.page.goto(base + '/ui/reports#monitoring');
    const alert = po.page.locator('#monitoring tr[id$="-identification_rate-catch-demo"]');
    assert.equal(await alert.count(), 1, 'the identification-rate alert of catch-demo is raised');
    assert.ok(await po.page.isVisible('#monitoring table.monitoring svg rect.bar-crossed'), 'the crossing shows on the monthly chart');
    // Issue 21 item 5: the searches' best scores per month, beside the models' evaluation.
    const drift = await po.page.locator('#monitoring table.drift').first().textContent();
    assert.ok(/\d\.\d\d · \d\.\d\d · \d\.\d\d/.test(drift), `the month's quartiles show: ${drift}`);
    assert.ok((await po.page.textContent('#monitoring')).includes('non-mated pairs, mean score'), 'beside the models\' evaluation');
    await alert.locator('textarea[name="note"]').fill('Demo thresholds; discussed with the committee.');
    await Promise.all([po.page.waitForNavigation(), alert.locator('form').evaluate((f) => f.requestSubmit())]);
    const acknowledged = await po.page.locator('#monitoring tr[id$="-identification_rate-catch-demo"]').textContent();
    assert.ok(acknowledged.includes('privacy-1') && acknowledged.includes('discussed with the committee'), `acknowledged: ${acknowledged}`);
    await shot(po.page, '39-monitoring');
    await po.context.close();
    log('a monitoring alert is raised on the demo and acknowledged by the privacy officer');
  }
  // The chief suspends the deployment on its governance page; the next search is refused.
  const chief = await session('chief-1', 'chief_of_police');
  await chief.page.goto(base + '/register');
  await Promise.all([chief.page.waitForNavigation(), chief.page.click('a[href="/ui/deployments/catch-demo"]')]);
  const governance = await chief.page.content();
  assert.ok(governance.includes('<strong>active</strong>'), 'the deployment is active');
  for (const needle of ['Weighing factors', 'Preconditions', 'Next review due', 'ratify', 'authority_approve']) {
    assert.ok(governance.includes(needle), `the governance page shows ${needle}`);
  }
  await shot(chief.page, '11-governance-deployment');
  await chief.page.selectOption('#step', 'suspend');
  await chief.page.fill('#reason', 'Browser test: complaint under investigation');
  await Promise.all([chief.page.waitForNavigation(), chief.page.click('#decide button')]);
  assert.ok((await chief.page.content()).includes('<strong>suspended</strong>'), 'suspended on the page');
  await chief.context.close();
  log('the chief suspends the deployment on its governance page');
  await ex.page.goto(base + '/ui/searches/new');
  await ex.page.fill('#case', 'OM-DEMO-0001');
  await ex.page.setInputFiles('#probe', probe);
  const deployments = await ex.page.locator('#deployment option').count();
  assert.equal(deployments, 0, 'no active deployment to choose');
  log('suspended deployment: nothing to search under');
  const direct = await ex.page.request.post(`${base}/api/searches?deployment=catch-demo&case=OM-DEMO-0001&probe_source=crime_scene_cctv`, {
    headers: { 'content-type': 'image/jpeg', ...sameSite },
    data: readFileSync(probe),
  });
  assert.equal(direct.status(), 403);
  assert.ok((await direct.text()).includes('suspended'));
  log('search under a suspended deployment refused');

  // The ledger shows each step and verifies.
  await au.page.goto(base + '/ui/ledger');
  const ledger = await au.page.content();
  assert.ok(ledger.includes('Verified') && !ledger.includes('NOT verified'), 'the ledger verifies');
  for (const needle of ['"operation":"search"', '"operation":"proposal"', '"operation":"verification"', '"kind":"refusal"', '"action":"suspend"']) {
    assert.ok(ledger.includes(needle), `the ledger shows ${needle}`);
  }
  const counters = au.page.locator('section:has(h2:text("Per deployment")) tbody tr:has-text("catch-demo/1") td');
  assert.ok(Number(await counters.nth(1).textContent()) >= 2, 'searches counted from the ledger');
  assert.ok(Number(await counters.nth(4).textContent()) >= 2, 'identifications counted from the ledger');
  await shot(au.page, '09-ledger', false);
  log('the ledger shows every step and the refusals, and verifies');
  // The reference-database manager: size, the retention plan, flags, the demo's import.
  {
    const mg = await session('manager-1', 'reference_database_manager');
    await mg.page.goto(base + '/ui/refdb');
    assert.ok((await mg.page.textContent('h1')).includes('Reference database'));
    const size = await mg.page.textContent('section:has(h2:text("Size")) dl');
    assert.ok(/Reference images\s*[1-9]/.test(size), `records counted: ${size}`);
    assert.ok(await mg.page.isVisible('#plan table'), 'the retention plan is shown');
    const imported = mg.page.locator('#imports tbody tr').first().locator('td');
    assert.ok(Number(await imported.nth(2).textContent()) >= 1, 'the demo import is listed with its accepted rows');
    await shot(mg.page, '10-refdb-manager');
    await mg.context.close();
    log('the reference-database manager sees size, retention plan, flags and imports');
  }
  // The oversight role's reports: made from the ledger, downloaded, verified; a changed
  // figure named. The public register shows the published text and the year's figures.
  {
    await au.page.goto(base + '/ui/reports');
    assert.ok((await au.page.content()).includes('ready for export'), 'the demo texts pass the register standard');
    const deadlines = await au.page.textContent('#incident-clocks');
    assert.ok(deadlines.includes('the provider') && deadlines.includes('the market surveillance authority'), `the incident's deadlines on the oversight page: ${deadlines}`);
    await shot(au.page, '15-reports');
    const year = new Date().getUTCFullYear();
    const made = await au.page.request.get(`${base}/ui/reports/figures?from=${year}-01-01&to=${year + 1}-01-01&format=json`);
    assert.equal(made.status(), 200);
    const report = await made.json();
    assert.ok(report.overall.searches >= 2 && report.per_offence_category.robbery.searches >= 1, 'figures per offence category');
    await au.page.fill('#report', JSON.stringify(report));
    await Promise.all([au.page.waitForNavigation(), au.page.click('form[action^="/ui/reports/verify"] button')]);
    assert.ok((await au.page.content()).includes('Every figure matches the ledger'), 'the report verifies');
    report.overall.identifications += 1;
    await au.page.goto(base + '/ui/reports');
    await au.page.fill('#report', JSON.stringify(report));
    await Promise.all([au.page.waitForNavigation(), au.page.click('form[action^="/ui/reports/verify"] button')]);
    assert.ok((await au.page.content()).includes('overall.identifications'), 'the changed figure is named');
    await au.page.goto(`${base}/ui/reports/annual?year=${year}&format=html&lang=en`);
    assert.ok((await au.page.content()).includes('Article 26(10)'));
    await shot(au.page, '16-yearly-report');
    // The applicant's new draft has no register texts yet: nothing is exported, and the
    // missing fields are named (the demo deployment's texts are complete).
    const csv = await au.page.request.get(`${base}/ui/reports/register?format=csv`);
    assert.equal(csv.status(), 422);
    const why = await csv.text();
    assert.ok(why.includes('retro-west: contact_email (Contactgegevens): required, and empty') && !why.includes('catch-demo:'), why);
    log('the auditor makes, downloads and verifies reports; a changed figure is named');
    const pub = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await pub.newPage();
    await page.goto(base + '/register?lang=nl');
    const text = await page.content();
    assert.ok(text.includes('strafrechtelijke fotodatabank') && text.includes('Ingediende zoekbeelden'), 'published text and figures');
    await shot(page, '17-public-register-figures');
    await pub.close();
    log('the public register shows the published text and the year\'s figures');
  }
  // Issue 17: the prosecutor sets a legal hold on the demo's case; the privacy officer asks
  // who consulted that case (the examiner's and verifiers' reads are there) and looks up a
  // person of the reference database.
  {
    const prosecutor = await session('prosecutor-1', 'competent_authority');
    await prosecutor.page.goto(base + '/ui/cases');
    const row = prosecutor.page.locator('tr:has-text("OM-DEMO-0001")');
    await row.locator('form[action$="/legal-hold"] input[name="reason"]').fill('Appeal lodged: keep the material');
    await Promise.all([prosecutor.page.waitForNavigation(), row.locator('button[value="set"]').click()]);
    assert.ok((await prosecutor.page.textContent('tr:has-text("OM-DEMO-0001")')).includes('Legal hold'));
    await shot(prosecutor.page, '18-legal-hold');
    await prosecutor.context.close();
    const po = await session('privacy-1', 'privacy_officer');
    await po.page.goto(base + '/ui/consultations?subject=case:OM-DEMO-0001');
    const reads = await po.page.textContent('main');
    assert.ok(reads.includes('examiner-1') && reads.includes('verifier-1'), reads);
    await shot(po.page, '19-who-consulted');
    const refs = await (await po.page.request.get(`${base}/api/refdb/references?limit=1`)).json();
    const person = refs.records[0].provenance.person;
    await po.page.goto(`${base}/ui/persons?person=${encodeURIComponent(person)}&lang=nl`);
    assert.ok((await po.page.textContent('main')).includes('Bewaartermijn'));
    await shot(po.page, '20-data-subject-nl');
    // The explanation of a search's part for the person identified in it (AI Act Art. 86).
    await po.page.goto(`${base}/ui/persons?person=DEMO-200&lang=en`);
    await Promise.all([po.page.waitForNavigation(), po.page.locator('a[href*="/searches/S-"]').first().click()]);
    const explained = await po.page.textContent('main');
    assert.ok(explained.includes('Where the person') && explained.includes('about this person'), explained);
    await shot(po.page, '37-explanation-art-86');
    await po.context.close();
    log('a legal hold on the case; who consulted it; a data subject looked up, a search explained to them');
  }
  // One's own account: the second factor can be set up (not done here: the demo accounts
  // log in with passwords only).
  {
    const me = await session('auditor-1', 'auditor');
    await me.page.goto(base + '/ui/account');
    assert.ok((await me.page.content()).includes('Set up a second factor'));
    await shot(me.page, '14-account');
    await me.context.close();
    log('the account page offers a second factor');
  }
  log(`accessibility (axe-core, WCAG 2.1 A/AA): no serious or critical violation on ${checked.length} screens`);
  console.log(`1..${step}`);
} finally {
  await browser.close();
}
