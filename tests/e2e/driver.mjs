// Drives the Microsoft 365 Agents Playground in headless Chromium through one GRUS journey.
//
//   node tests/e2e/driver.mjs CONFIG.json
//
// Started by tests/e2e/test_playground.py, which starts the bot, a recording proxy and the
// playground first and writes CONFIG.json: playgroundUrl, chromium, screenshotDir, artifactDir,
// texts (cards/texts/da.py), keywords (three of the concept's), fourthKeyword, questions (the
// first two, as a GRUS shows them), followUpLabel (the agreement form's date field), maxCardHeight
// (px), stepTimeoutMs.
//
// The preparation card is photographed whole (the window is made tall enough for it, the card
// keeps the playground's Teams-like width of about 480 px) and measured: each measurement is
// printed as "card <name> <width>x<height>".
//
// Every step waits for visible texts, never for positions, so small changes to the cards do not
// break it. Each step prints "step <name> ok <ms>"; on failure it prints "FAILED <step>: <error>",
// saves failure.png and failure.txt (the page's text) in artifactDir and exits with status 1.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "package.json"));
const { chromium } = require("playwright-core");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const T = config.texts;
const STEP_TIMEOUT = config.stepTimeoutMs ?? 15000;

// Top-level cards only (a ShowCard's card is an .ac-adaptiveCard inside another).
const CARD = ".ac-adaptiveCard:not(.ac-adaptiveCard .ac-adaptiveCard)";
const MESSAGE_BOX = '[role="textbox"][data-lexical-editor="true"]';

function text(key, params = {}) {
  const value = T[key];
  if (value === undefined) throw new Error(`no text ${key} in cards/texts/da.py`);
  return value.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? `{${name}}`));
}

// The text before its first placeholder, for texts that end in user data.
function prefix(key) {
  return T[key].split("{")[0].trim();
}

// A text as a pattern: each placeholder matches any (possibly empty) run of characters.
function pattern(key) {
  const parts = T[key].split(/\s?\{\w+\}/);
  return new RegExp(parts.map(escape).join(".*"));
}

function escape(value) {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// A choice's accessible name is the input's label followed by the choice's title.
function choice(title) {
  return new RegExp(`(^|\\s)${escape(title)}$`);
}

function log(line) {
  process.stdout.write(`${line}\n`);
}

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
  ],
});
const VIEWPORT = { width: 1280, height: 800 };
const context = await browser.newContext({
  viewport: VIEWPORT,
  locale: "da-DK",
  timezoneId: "Europe/Copenhagen",
});
context.setDefaultTimeout(STEP_TIMEOUT);
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(String(error)));

// --- helpers ------------------------------------------------------------------------------

async function openChat(name) {
  await page.getByText(name, { exact: true }).first().click();
  await page.locator(MESSAGE_BOX).waitFor();
}

// Send a message; in a group chat the bot only hears messages that @mention it.
async function say(message, { mention }) {
  const box = page.locator(MESSAGE_BOX);
  await box.click();
  if (mention) {
    await page.keyboard.type(`@${config.botName}`);
    await page.getByRole("menuitem", { name: config.botName }).click();
    await page.keyboard.type(" ");
  }
  await page.keyboard.type(message);
  await page.keyboard.press("Enter");
}

// The last top-level card that shows all of the given texts.
function card(...texts) {
  let locator = page.locator(CARD);
  for (const t of texts) locator = locator.filter({ hasText: t });
  return locator.last();
}

async function cardCount(...texts) {
  let locator = page.locator(CARD);
  for (const t of texts) locator = locator.filter({ hasText: t });
  return locator.count();
}

// Wait until there are more than `before` top-level cards showing the texts; return the last.
async function newCard(before, ...texts) {
  const deadline = Date.now() + STEP_TIMEOUT;
  while ((await cardCount(...texts)) <= before) {
    if (Date.now() > deadline) {
      throw new Error(`no new card showing ${JSON.stringify(texts)} (still ${before})`);
    }
    await page.waitForTimeout(100);
  }
  const found = card(...texts);
  await found.waitFor();
  return found;
}

// Scroll the chat so that `target` starts at the top (with its sender line above it), or, with
// no target, to the newest message at the bottom.
async function reveal(target) {
  const scroll = (el, toTop) => {
    let pane = el.parentElement;
    const scrolls = (node) =>
      node.scrollHeight > node.clientHeight && getComputedStyle(node).overflowY !== "visible";
    while (pane && !scrolls(pane)) pane = pane.parentElement;
    if (!pane) return;
    if (toTop) {
      pane.scrollTop += el.getBoundingClientRect().top - pane.getBoundingClientRect().top - 40;
    } else {
      pane.scrollTop = pane.scrollHeight;
    }
  };
  if (target) await target.evaluate(scroll, true);
  else await page.locator(CARD).last().evaluate(scroll, false);
}

async function shot(name, target) {
  await reveal(target);
  await page.waitForTimeout(300); // let the scroll and the card's layout settle
  const file = path.join(config.screenshotDir, name);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

// The size of a card as the page lays it out.
async function measure(name, target) {
  const box = await target.boundingBox();
  if (!box) throw new Error(`${name} is not on the page`);
  log(`card ${name} ${Math.round(box.width)}x${Math.round(box.height)}`);
  return box;
}

// Make the window tall enough to show the whole card, then run `take` and restore the window.
async function withWholeCard(target, take) {
  const box = await target.boundingBox();
  await page.setViewportSize({ width: VIEWPORT.width, height: Math.ceil(box.height) + 400 });
  try {
    await reveal(target);
    await page.waitForTimeout(300);
    return await take();
  } finally {
    await page.setViewportSize(VIEWPORT);
  }
}

// A screenshot of the whole card, nothing around it.
async function shotCard(name, target) {
  const file = path.join(config.screenshotDir, name);
  await withWholeCard(target, () => target.screenshot({ path: file }));
  log(`screenshot ${file}`);
}

// A screenshot of a card from the element `start` down to the card's end (its buttons).
async function shotCardFrom(name, target, start) {
  const file = path.join(config.screenshotDir, name);
  await withWholeCard(target, async () => {
    const box = await target.boundingBox();
    const top = Math.max(box.y, (await start.boundingBox()).y - 12);
    const clip = { x: box.x, y: top, width: box.width, height: box.y + box.height - top };
    await page.screenshot({ path: file, clip });
  });
  log(`screenshot ${file}`);
}

// Pick a day in a Fluent date picker (Input.Date): open it, go `months` ahead, click `day`.
// Returns the date as the bot writes it ("15. december 2026").
async function pickDate(scope, label, months, day) {
  const now = new Date();
  const target = new Date(now.getFullYear(), now.getMonth() + months, day);
  const year = target.getFullYear();
  const month = target.getMonth();
  // The calendar's day buttons are labelled in English: "15, December, 2026".
  const english = target.toLocaleString("en-US", { month: "long" });
  await scope.getByRole("combobox", { name: label }).click();
  const calendar = page.getByRole("dialog", { name: "Calendar" });
  for (let i = 0; i < months; i++) await calendar.locator('button[title^="Next month"]').click();
  await calendar.getByRole("button", { name: `${day}, ${english}, ${year}`, exact: true }).click();
  await calendar.waitFor({ state: "hidden" });
  return `${day}. ${T.months.split(",")[month]} ${year}`;
}

// A check of the bot's behaviour that need not stop the journey: a failure is reported as a
// DEFECT line, the journey goes on, and the driver exits with status 1 at the end.
// (A date such as "15. december 2026" at the start of a card's text is read as a Markdown
// numbered list: the page then shows "december 2026" in a list numbered from 15.)
const defects = [];
async function expectBot(description, check) {
  try {
    await check();
  } catch (error) {
    defects.push(description);
    log(`DEFECT ${description} (${String(error?.message ?? error).split("\n")[0]})`);
  }
}

// Card presses answer with a card and may also update the message for everyone: give the
// playground a moment to show the last of them before judging what the user sees.
async function settle() {
  await page.waitForTimeout(1000);
}

async function press(scope, name) {
  await scope.getByRole("button", { name, exact: true }).click();
}

// --- the journey --------------------------------------------------------------------------

const state = {};

const steps = [
  [
    "personal chat: the greeting and the help card",
    async () => {
      await page.goto(config.playgroundUrl, { waitUntil: "domcontentloaded" });
      await page.locator(MESSAGE_BOX).waitFor({ timeout: 30000 });
      // The log panel takes a third of the screen: hide it (the test records the traffic).
      const hideLog = page.getByTitle("Hide log panel");
      if (await hideLog.isVisible()) await hideLog.click();
      await openChat(config.personalChat);
      const help = card(text("help.title"), text("help.new", { kind: "GRUS" }));
      await help.waitFor();
      await page.getByText(pattern("greeting.personal")).first().waitFor();
      await shot("01-help-personal.png", help);
    },
  ],
  [
    "group chat: hjælp answers with the help card",
    async () => {
      await openChat(config.groupChat);
      await page.getByText(pattern("greeting.group")).first().waitFor();
      await card(text("help.title")).waitFor();
      const before = await cardCount(text("help.title"));
      await say("hjælp", { mention: true });
      await newCard(before, text("help.title"));
    },
  ],
  [
    "group chat: ny GRUS shows the setup card with the chat's members",
    async () => {
      const title = text("setup.title", { kind: "GRUS" });
      const before = await cardCount(title);
      await say("ny GRUS", { mention: true });
      const setup = await newCard(before, title, text("setup.save"));
      for (const user of config.mockUsers) {
        await setup.getByRole("checkbox", { name: choice(user) }).waitFor();
      }
      state.setup = setup;
    },
  ],
  [
    "group chat: fill in the setup and save it",
    async () => {
      const setup = state.setup;
      state.participants = config.mockUsers; // everyone in the chat takes part: it shows the content
      for (const user of state.participants) {
        await setup.getByRole("checkbox", { name: choice(user) }).check();
      }
      state.date = await pickDate(setup, text("setup.date"), 1, 15);
      const time = setup.getByRole("combobox", { name: text("setup.time") });
      await time.click();
      await time.fill("10:00");
      await time.press("Enter");
      await setup.getByRole("spinbutton", { name: text("setup.duration") }).fill("60");
      await shot("02-setup-group.png", setup);
      await press(setup, text("setup.save"));
      // The pressed setup card turns into the status card (for everyone in the chat; the
      // confirmation banner is only the presser's until that edit lands).
      const total = state.participants.length + 1; // and the leader
      const status = card(text("status.count", { done: 0, total }));
      await status.waitFor();
      await expectBot(`the status card shows the date »${state.date}« as text`, () =>
        status.getByText(state.date).waitFor({ timeout: 1000 }),
      );
      await status.getByText(text("status.count", { done: 0, total }), { exact: true }).waitFor();
      for (const user of [config.currentUser, ...state.participants]) {
        await status.getByText(text("status.pending", { name: user })).waitFor();
      }
      await shot("03-status-group.png", status);
    },
  ],
  [
    "personal chat: the preparation card arrived and fits on two screens",
    async () => {
      await openChat(config.personalChat);
      const prep = card(text("prep.title", { kind: "GRUS" }), text("prep.save"));
      await prep.waitFor();
      state.noteLabel = text("prep.notes", { perspective: config.perspectives[0] });
      // What the leader decided comes first; nothing decided reads as open.
      const when = `${state.date} kl. 10:00`;
      await expectBot(`the preparation card shows the time »${when}«`, () =>
        prep.getByText(when, { exact: true }).waitFor({ timeout: 1000 }),
      );
      for (const keyword of config.keywords) {
        await prep.getByRole("checkbox", { name: choice(keyword) }).waitFor();
      }
      // The guidance is folded away; the leader's card has the leader's duties in it.
      const duties = prep.getByText(text("prep.leader_duties"), { exact: true });
      await expectBot("the guidance is hidden until »Læs vejledningen« is pressed", async () => {
        if (await duties.isVisible()) throw new Error("the guidance is open");
        await press(prep, text("prep.guidance"));
        await duties.waitFor({ timeout: 2000 });
        await press(prep, text("prep.guidance"));
        await duties.waitFor({ state: "hidden", timeout: 2000 });
      });
      const box = await measure("preparation-form", prep);
      await expectBot(
        `the preparation card fits on two screens (${Math.round(box.height)} px, at most ${config.maxCardHeight})`,
        async () => {
          if (box.height > config.maxCardHeight) throw new Error(`${box.height} px`);
        },
      );
      await shotCard("04-preparation-personal.png", prep);
    },
  ],
  [
    "personal chat: a fourth keyword is refused beside the button",
    async () => {
      const prep = card(text("prep.title", { kind: "GRUS" }), text("prep.save"));
      for (const keyword of [...config.keywords, config.fourthKeyword]) {
        await prep.getByRole("checkbox", { name: choice(keyword) }).check();
      }
      await press(prep, text("prep.save"));
      const message = text("error.invalid_keywords.count", { count: 4 });
      const refused = card(text("prep.title", { kind: "GRUS" }), message);
      await refused.waitFor();
      const notices = refused.getByText(message, { exact: true });
      await expectBot("the refusal is shown on top and right above the button", async () => {
        if ((await notices.count()) !== 2) throw new Error(`${await notices.count()} notices`);
        const bottom = await notices.last().boundingBox();
        const button = await refused.getByRole("button", { name: text("prep.save") }).boundingBox();
        const gap = button.y - (bottom.y + bottom.height);
        if (gap < 0 || gap > 80) throw new Error(`${Math.round(gap)} px between notice and button`);
      });
      for (const keyword of [...config.keywords, config.fourthKeyword]) {
        const box = refused.getByRole("checkbox", { name: choice(keyword) });
        if (!(await box.isChecked())) throw new Error(`${keyword} is no longer ticked`);
      }
      await measure("preparation-refused", refused);
      await shotCardFrom(
        "05-fourth-keyword-refused-personal.png",
        refused,
        refused.getByText(text("prep.keywords"), { exact: true }),
      );
      state.prep = refused;
    },
  ],
  [
    "personal chat: three keywords saved; the card folds to a summary",
    async () => {
      const prep = state.prep;
      await prep.getByRole("checkbox", { name: choice(config.fourthKeyword) }).uncheck();
      state.note = "Jeg vil gerne tale om sparring i teamet.";
      await prep.getByRole("textbox", { name: state.noteLabel }).fill(state.note);
      await press(prep, text("prep.save"));
      const chosen = config.keywords.join(", ");
      const saved = card(text("prep.your_keywords", { keywords: chosen }), text("prep.edit"));
      await saved.waitFor();
      await saved.getByText(text("prep.saved"), { exact: true }).first().waitFor();
      await saved.getByText(text("prep.notes_saved"), { exact: true }).waitFor();
      await expectBot("the summary has no inputs left and does not show the note", async () => {
        const boxes = await saved.getByRole("checkbox").count();
        if (boxes) throw new Error(`${boxes} checkboxes`);
        if (await saved.getByText(state.note).count()) throw new Error("the note is shown");
      });
      await measure("preparation-summary", saved);
      await shotCard("06-keywords-saved-personal.png", saved);
      state.prep = saved;
    },
  ],
  [
    "personal chat: Ret opens the form again with the three keywords ticked",
    async () => {
      await press(state.prep, text("prep.edit"));
      const form = card(text("prep.title", { kind: "GRUS" }), text("prep.save"));
      await form.waitFor();
      for (const keyword of config.keywords) {
        const box = form.getByRole("checkbox", { name: choice(keyword) });
        if (!(await box.isChecked())) throw new Error(`${keyword} is not ticked`);
      }
      const note = await form.getByRole("textbox", { name: state.noteLabel }).inputValue();
      if (note !== state.note) throw new Error(`the note reads ${JSON.stringify(note)}`);
      await press(form, text("prep.save"));
      const chosen = config.keywords.join(", ");
      await card(text("prep.your_keywords", { keywords: chosen }), text("prep.edit")).waitFor();
    },
  ],
  [
    "group chat: the leader shares everyone's keywords",
    async () => {
      await openChat(config.groupChat);
      const status = card(text("status.share"));
      await status.waitFor();
      const title = text("keywords.title", { kind: "GRUS" });
      const before = await cardCount(title);
      await press(status, text("status.share"));
      const keywords = await newCard(before, title);
      await keywords.getByText(config.keywords.join(", "), { exact: true }).waitFor();
      for (const user of state.participants) await keywords.getByText(user).waitFor();
      await keywords.getByText(text("keywords.missing")).first().waitFor();
    },
  ],
  [
    "group chat: start the conversation (anyway, as the mock users cannot prepare); the live card shows question 1 of 9",
    async () => {
      const status = card(text("status.start"));
      const progress = text("live.progress", { n: 1, total: 9 });
      const before = await cardCount(progress);
      await press(status, text("status.start"));
      // The others have not chosen keywords: the card asks first, where the leader pressed.
      const asked = card(text("start.anyway"));
      await asked.getByText(prefix("error.unprepared")).first().waitFor();
      await press(asked, text("start.anyway"));
      const live = await newCard(before, progress);
      await live.getByText(config.questions[0], { exact: true }).waitFor();
      await live.getByText(text("live.title", { kind: "GRUS" })).waitFor();
      for (const keyword of config.keywords) {
        await live.getByRole("button", { name: keyword, exact: true }).waitFor();
      }
      await shot("07-live-question1-group.png", live);
      state.live = live;
    },
  ],
  [
    "group chat: Næste ▶ goes to question 2 of 9",
    async () => {
      await press(state.live, text("live.next"));
      const live = card(text("live.progress", { n: 2, total: 9 }));
      await live.waitFor();
      await live.getByText(config.questions[1], { exact: true }).waitFor();
      await settle(); // the shared card's edit for the move lands before anyone types in it
      state.live = live;
    },
  ],
  [
    "group chat: add an agreement",
    async () => {
      const live = state.live;
      await press(live, text("live.add_agreement"));
      const form = live.locator(".ac-adaptiveCard:visible").filter({
        has: page.getByRole("button", { name: text("live.save"), exact: true }),
        hasText: text("field.what"),
      });
      await form.waitFor();
      state.agreement = "Vi afprøver fælles sparring hver anden uge";
      const what = form.getByRole("textbox", { name: new RegExp(`^${text("field.what")}`) });
      await what.fill(state.agreement);
      const responsible = form.getByRole("combobox", { name: text("field.responsible") });
      await responsible.click();
      await page.getByRole("option", { name: config.currentUser, exact: true }).click();
      state.followUp = await pickDate(form, config.followUpLabel, 2, 1);
      await press(form, text("live.save"));
      const updated = card(text("live.title", { kind: "GRUS" }), state.agreement);
      await updated.waitFor();
      await settle();
      // The presser's own notice, or – once everyone's card has been edited – the shared card's
      // "Seneste: … tilføjede en aftale" line.
      const added = text("live.change.agreement_added", { name: config.currentUser });
      await expectBot(`the live card confirms the agreement (»${added}«)`, () =>
        updated
          .getByText(text("live.added_agreement"), { exact: true })
          .or(updated.getByText(added))
          .first()
          .waitFor({ timeout: 1000 }),
      );
      await updated.getByText(config.currentUser).first().waitFor();
      await expectBot(`the live card shows the follow-up date »${state.followUp}« as text`, () =>
        updated.getByText(state.followUp, { exact: true }).waitFor({ timeout: 1000 }),
      );
      await shot(
        "08-agreement-saved-group.png",
        updated.getByText(text("live.agreements"), { exact: true }),
      );
      state.live = updated;
    },
  ],
  [
    "group chat: finish the conversation",
    async () => {
      const live = state.live;
      await press(live, text("live.finish"));
      // "Afslut samtalen" opens a form (confidentiality, next follow-up) or finishes at once.
      const confirm = live.getByRole("button", { name: text("live.finish_confirm"), exact: true });
      const closedTitle = text("live.closed_title", { kind: "GRUS" });
      await confirm.or(card(closedTitle)).first().waitFor();
      if (await confirm.isVisible()) {
        const form = live.locator(".ac-adaptiveCard:visible").filter({
          has: page.getByRole("button", { name: text("live.finish_confirm"), exact: true }),
        });
        const confidentiality = form.getByRole("textbox", { name: text("live.confidentiality") });
        if (await confidentiality.count()) await confidentiality.fill("Intet må videregives.");
        const next = form.getByRole("combobox", { name: text("field.next_follow_up") });
        if (await next.count()) await pickDate(form, text("field.next_follow_up"), 3, 1);
        await confirm.click();
      }
      const closed = card(closedTitle);
      await closed.waitFor();
      await closed.getByText(state.agreement).first().waitFor();
      await settle();
      const finished = text("live.change.finished", { name: config.currentUser });
      await expectBot(`the closed card confirms the finish (»${finished}«)`, () =>
        closed
          .getByText(text("live.finished"), { exact: true })
          .or(closed.getByText(finished))
          .first()
          .waitFor({ timeout: 1000 }),
      );
    },
  ],
  [
    "the development plan: announced in the group chat, links in the personal chat",
    async () => {
      if (!T["plan.ready_group"]) {
        // Before the plan existed, finishing posted a summary of the agreements.
        const summary = card(text("summary.title", { kind: "GRUS" }), state.agreement);
        await summary.waitFor();
        await shot("09-finished-group.png", card(text("live.closed_title", { kind: "GRUS" })));
        return;
      }
      const title = text("plan.title", { kind: "GRUS" });
      const group = card(title, pattern("plan.ready_group"));
      await group.waitFor({ timeout: 30000 }); // the PDF takes LibreOffice a moment
      await shot("09-finished-group.png", card(text("live.closed_title", { kind: "GRUS" })));
      await openChat(config.personalChat);
      const mine = card(title, pattern("plan.ready_personal"));
      await mine.waitFor();
      for (const key of ["plan.word", "plan.pdf"]) {
        await mine.getByText(text(key), { exact: true }).waitFor(); // Action.OpenUrl
      }
      await shot("10-plan-personal.png");
    },
  ],
  [
    "personal chat: mine samtaler lists the finished GRUS",
    async () => {
      await openChat(config.personalChat);
      const before = await cardCount(text("mine.title"));
      await say("mine samtaler", { mention: false });
      const mine = await newCard(before, text("mine.title"));
      await expectBot("»Mine samtaler« shows the GRUS the leader just held", () =>
        mine.getByText(/GRUS/).first().waitFor({ timeout: 1000 }),
      );
      await shot("11-my-conversations-personal.png", mine);
    },
  ],
  [
    "personal chat: mine aftaler lists the agreement the leader is responsible for",
    async () => {
      const before = await cardCount(text("my_agreements.title"));
      await say("mine aftaler", { mention: false });
      const mine = await newCard(before, text("my_agreements.title"));
      await expectBot(`»Mine aftaler« shows »${state.agreement}«`, () =>
        mine.getByText(state.agreement).first().waitFor({ timeout: 1000 }),
      );
      await shot("12-my-agreements-personal.png", mine);
    },
  ],
  [
    "personal chat: nøgletal gives HR the round's figures, small counts hidden, no names",
    async () => {
      const title = prefix("figures.title");
      const before = await cardCount(title);
      await say("nøgletal", { mention: false });
      let figures = await newCard(before, title);
      // The GRUS may be dated next year (it is set up two months ahead): show that year.
      if (await figures.getByText(pattern("figures.none")).count()) {
        await figures.getByRole("button", { name: pattern("figures.year") }).first().click();
        await settle();
        figures = card(title, prefix("figures.line"));
      }
      const below = text("figures.below", { threshold: 5 });
      await expectBot(`the figures show the one GRUS as »${below}«`, () =>
        figures.getByText(below).first().waitFor({ timeout: 2000 }),
      );
      await expectBot("the figures name nobody and quote no agreement", async () => {
        const shown = await figures.innerText();
        for (const content of [config.currentUser, ...config.mockUsers, state.agreement]) {
          if (shown.includes(content)) throw new Error(`»${content}« on HR's card`);
        }
      });
      await shot("13-figures-personal.png", figures);
    },
  ],
  [
    "personal chat: the preparation card refuses changes after the conversation",
    async () => {
      const prep = card(text("prep.title", { kind: "GRUS" }));
      const save = prep
        .getByRole("button", { name: text("prep.save"), exact: true })
        .or(prep.getByRole("button", { name: text("prep.edit"), exact: true }));
      if (!(await save.count())) return; // the card no longer offers to change anything: fine
      await save.first().click();
      await settle();
      const refusals = ["prep.locked", "error.closed", "error.wrong_phase"].map((k) => text(k));
      await expectBot(
        `»${text("prep.save")}« after the conversation answers one of ${JSON.stringify(refusals)}`,
        () =>
          card(text("prep.title", { kind: "GRUS" }))
            .getByText(new RegExp(refusals.map(escape).join("|")))
            .first()
            .waitFor({ timeout: 1000 }),
      );
    },
  ],
];

let failed = false;
for (const [name, run] of steps) {
  const started = Date.now();
  try {
    await run();
    log(`step ${name} ok ${Date.now() - started}`);
  } catch (error) {
    failed = true;
    log(`FAILED ${name}: ${String(error?.message ?? error).split("\n").slice(0, 6).join(" | ")}`);
    try {
      await page.screenshot({ path: path.join(config.artifactDir, "failure.png") });
      const body = await page.evaluate(() => document.body.innerText);
      fs.writeFileSync(path.join(config.artifactDir, "failure.txt"), body);
      log(`saved ${path.join(config.artifactDir, "failure.png")} and failure.txt`);
    } catch (saveError) {
      log(`could not save the failure screenshot: ${saveError}`);
    }
    break;
  }
}
for (const error of pageErrors) log(`page error: ${error.slice(0, 300)}`);
if (defects.length) log(`${defects.length} defect(s) in the bot's behaviour`);
await browser.close();
process.exit(failed || defects.length ? 1 : 0);
