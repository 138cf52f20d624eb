// The console's entry point: sign-in, the view switcher, and each view's set-up.

import { ApiError, clearToken, getToken, request, setToken, whenUnauthorized } from "./api.js";
import { setUpDeadLetters, showDeadLetters } from "./deadletters.js";
import { say } from "./dom.js";
import { hideMetrics, setUpMetrics, showMetrics } from "./metrics.js";
import { setUpPipelines, showPipelines } from "./pipelines.js";
import { setUpPreview, showPreview } from "./preview.js";
import { showRoutes } from "./routes.js";

const VIEWS = {
  pipelines: showPipelines,
  routes: showRoutes,
  preview: showPreview,
  metrics: showMetrics,
  "dead-letters": showDeadLetters,
};

function sections() {
  return document.querySelectorAll("main > section");
}

function showLogin(message) {
  hideMetrics();
  for (const s of sections()) s.hidden = s.id !== "view-login";
  document.getElementById("nav").hidden = true;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("login-problem").textContent = message || "";
  document.getElementById("login-token").focus();
}

async function showView(name) {
  hideMetrics();
  for (const s of sections()) s.hidden = s.id !== `view-${name}`;
  for (const b of document.querySelectorAll("#nav button")) {
    if (b.dataset.view === name) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = false;
  sessionStorage.setItem("pipeflow.view", name);
  try {
    await VIEWS[name]();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    say(`Could not load the view: ${err.message}`, "error");
  }
}

async function signIn(event) {
  event.preventDefault();
  const token = document.getElementById("login-token").value.trim();
  setToken(token);
  try {
    await request("GET", "/runtime");
  } catch (err) {
    clearToken();
    const message = err instanceof ApiError && err.status === 401 ? "The server refused this token." : err.message;
    document.getElementById("login-problem").textContent = message;
    return;
  }
  document.getElementById("login-token").value = "";
  say("Signed in.");
  await showView(sessionStorage.getItem("pipeflow.view") || "pipelines");
}

function start() {
  whenUnauthorized(() => {
    clearToken();
    showLogin("The server asks for the token (again).");
  });
  document.getElementById("login-form").addEventListener("submit", signIn);
  document.getElementById("sign-out").addEventListener("click", () => {
    clearToken();
    say("The token is forgotten.");
    showLogin();
  });
  for (const button of document.querySelectorAll("#nav button")) {
    button.addEventListener("click", () => showView(button.dataset.view));
  }
  setUpPipelines();
  setUpPreview();
  setUpMetrics();
  setUpDeadLetters();
  if (getToken() === null) showLogin();
  else showView(sessionStorage.getItem("pipeflow.view") || "pipelines");
}

start();
