/* Deadlines in the reader's local time. The page writes each deadline in the reporting cycle's time
   zone, with the zone's name, inside <time datetime="…UTC…" data-local-time data-offset="minutes east of
   UTC in that zone" data-local-label="your local time: %(time)s">. When the reader's clock is in
   another zone, this adds "(your local time: …)" after it, formatted by the browser in the page's
   language. Without JavaScript the cycle's zone alone is shown, which is complete on its own. */
(function () {
  "use strict";
  var language = document.documentElement.lang || undefined;
  // The portal writes English dates the UN's way (21 January 2027, 14:30: wsis_portal/formats/en),
  // which is British English's, not the American default of "en".
  if (language === "en") { language = "en-GB"; }
  // Arabic dates on the page are written with Latin digits (Django's formats, as UN Arabic documents
  // write them); the browser's Arabic default would switch to Arabic-Indic digits beside them.
  if (language === "ar") { language = "ar-u-nu-latn"; }
  var format;
  try {
    format = new Intl.DateTimeFormat(language, {
      year: "numeric", month: "long", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (error) {
    return;  // an unknown language tag: the cycle's zone stays, as without JavaScript
  }
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    // getTimezoneOffset() is minutes *behind* UTC; data-offset is minutes ahead, at that moment.
    var readerOffset = -when.getTimezoneOffset();
    if (readerOffset === parseInt(element.dataset.offset, 10)) { return; }  // same clock as the cycle's
    var next = element.nextElementSibling;
    if (next && next.classList.contains("local-time")) { return; }  // already added
    var local = document.createElement("span");
    local.className = "local-time";
    local.textContent = " (" + (element.dataset.localLabel || "%(time)s").replace("%(time)s", format.format(when)) + ")";
    element.insertAdjacentElement("afterend", local);
  });
})();
