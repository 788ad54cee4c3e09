// A Jalali calendar pops up on the date inputs marked data-jalali (JalaliDateInput) when the
// page is in Persian; typing the date stays possible. In English the inputs take ISO dates,
// so they are left alone. The calendar reads only ASCII digits: the values are kept in ASCII
// (the desk's font draws them as Persian digits, and the server takes either).
(function () {
  "use strict";

  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
  var ARABIC = "٠١٢٣٤٥٦٧٨٩";

  function asciiDigits(text) {
    return text.replace(/[۰-۹٠-٩]/g, function (digit) {
      var index = PERSIAN.indexOf(digit);
      return String(index >= 0 ? index : ARABIC.indexOf(digit));
    });
  }

  function normalize(input) {
    var value = asciiDigits(input.value);
    if (value !== input.value) {
      input.value = value;
    }
  }

  function start() {
    var language = (document.documentElement.getAttribute("lang") || "").toLowerCase();
    if (!window.jalaliDatepicker || language.indexOf("fa") !== 0) {
      return;
    }
    document.querySelectorAll("input[data-jalali]").forEach(function (input) {
      normalize(input);
      input.setAttribute("data-jdp", "");
    });
    // Before the calendar reads the value on focus (capture runs first).
    document.addEventListener(
      "focus",
      function (event) {
        if (event.target.matches && event.target.matches("input[data-jalali]")) {
          normalize(event.target);
        }
      },
      true
    );
    window.jalaliDatepicker.startWatch({
      autoReadOnlyInput: false,
      showCloseBtn: true,
      zIndex: 10000,
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
