/* The coding page: a text selection becomes the passage's character offsets.
 *
 * The page works without this script (tick turns, or type the offsets). With it, selecting
 * text with the mouse, touch or caret browsing fills "From character" and "To character".
 *
 * Offsets are code points of the source's text, as the server and REFI-QDA count them. The
 * text is rendered in pieces, each with data-start and data-end; a selection boundary inside
 * a piece counts the code points before it in that piece. JavaScript strings are UTF-16, so
 * the count goes through Array.from (one entry per code point), never .length.
 */
(function () {
  "use strict";

  var transcript = document.getElementById("transcript");
  var form = document.getElementById("coding-form");
  if (!transcript || !form) {
    return;
  }
  var startField = document.getElementById("id_start");
  var endField = document.getElementById("id_end");
  var memoStart = document.getElementById("memo-start");
  var memoEnd = document.getElementById("memo-end");
  var status = document.getElementById("selection-status");
  var clearButton = document.getElementById("clear-selection");
  var turnChecks = Array.prototype.slice.call(transcript.querySelectorAll(".turn-check"));
  var pieces = Array.prototype.slice.call(transcript.querySelectorAll(".piece"));
  var length = parseInt(transcript.getAttribute("data-length"), 10);

  function codePoints(text) {
    return Array.from(text).length;
  }

  function excerpt(text) {
    var flat = text.replace(/\s+/g, " ").trim();
    var points = Array.from(flat);
    if (points.length <= 120) {
      return flat;
    }
    return points.slice(0, 58).join("") + " … " + points.slice(-58).join("");
  }

  /* The offset in the source of a boundary point (node, offset) of a range. */
  function offsetOf(node, offset) {
    var element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    var piece = element && element.closest ? element.closest(".piece") : null;
    if (piece && transcript.contains(piece) && node.nodeType === Node.TEXT_NODE) {
      var start = parseInt(piece.getAttribute("data-start"), 10);
      var end = parseInt(piece.getAttribute("data-end"), 10);
      var before = codePoints(node.data.slice(0, offset));
      if (codePoints(piece.textContent) !== end - start) {
        // The page shows this piece shorter than the source holds it (a carriage return
        // the HTML parser dropped): snap to the nearer edge.
        return before * 2 < codePoints(piece.textContent) ? start : end;
      }
      return Math.min(start + before, end);
    }
    // Between elements (a speaker's label, the edge of a turn): the first piece that starts
    // at or after the point begins there; with none, the text's end.
    var point = document.createRange();
    point.setStart(node, offset);
    for (var i = 0; i < pieces.length; i += 1) {
      if (point.comparePoint(pieces[i], 0) >= 0) {
        return parseInt(pieces[i].getAttribute("data-start"), 10);
      }
    }
    return length;
  }

  function setPassage(start, end, text) {
    startField.value = start;
    endField.value = end;
    if (memoStart && memoEnd) {
      memoStart.value = start;
      memoEnd.value = end;
    }
    status.textContent =
      "Selected characters " + start + "–" + end + " (" + (end - start) + "): “" +
      excerpt(text) + "”";
    clearButton.hidden = false;
  }

  function clearPassage(message) {
    startField.value = "";
    endField.value = "";
    if (memoStart && memoEnd) {
      memoStart.value = "";
      memoEnd.value = "";
    }
    status.textContent = message;
    clearButton.hidden = true;
  }

  function checkedTurns() {
    return turnChecks.filter(function (check) { return check.checked; });
  }

  function describeTurns() {
    var checked = checkedTurns();
    if (!checked.length) {
      return "Nothing selected yet: select text, or tick turns.";
    }
    var names = checked.map(function (check) {
      var label = transcript.querySelector("label[for='" + check.id + "']");
      return label ? label.firstChild.textContent.trim() : check.value;
    });
    return checked.length + (checked.length === 1 ? " turn" : " turns") +
      " selected (" + names.join(", ") + "); each is coded whole.";
  }

  var pending = null;
  function readSelection() {
    pending = null;
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return; // clicking into the form collapses the selection: keep the passage chosen
    }
    var range = selection.getRangeAt(0);
    if (!transcript.contains(range.commonAncestorContainer)) {
      return;
    }
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    if (!(start < end)) {
      return;
    }
    turnChecks.forEach(function (check) { check.checked = false; });
    setPassage(start, end, selection.toString());
  }

  document.addEventListener("selectionchange", function () {
    if (pending === null) {
      pending = window.setTimeout(readSelection, 120);
    }
  });
  // A mouse-up ends a drag: read at once, so a quick click on a code does not race it.
  transcript.addEventListener("mouseup", function () { window.setTimeout(readSelection, 0); });

  turnChecks.forEach(function (check) {
    check.addEventListener("change", function () {
      clearPassage(describeTurns());
    });
    // Space toggles a checkbox natively; Enter does the same here instead of submitting.
    check.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        check.checked = !check.checked;
        check.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });

  clearButton.addEventListener("click", function () {
    var selection = window.getSelection();
    if (selection) {
      selection.removeAllRanges();
    }
    clearPassage(describeTurns());
  });

  [startField, endField].forEach(function (field) {
    field.addEventListener("input", function () {
      var start = parseInt(startField.value, 10);
      var end = parseInt(endField.value, 10);
      if (memoStart && memoEnd) {
        memoStart.value = startField.value;
        memoEnd.value = endField.value;
      }
      if (start >= 0 && end > start && end <= length) {
        status.textContent = "Characters " + start + "–" + end + " chosen by number.";
      }
    });
  });

  if (startField.value && endField.value) {
    status.textContent = "Characters " + startField.value + "–" + endField.value + " chosen.";
  } else if (checkedTurns().length) {
    status.textContent = describeTurns();
  }
})();
