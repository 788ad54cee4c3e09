/* The process studio (templates/process/versions/studio.html): the version's BPMN in the
   bpmn-js Modeler, its DMN tables in the dmn-js Modeler, and buttons posting the edited XML
   to the desk (save a draft, validate, dry run, deploy). The user tasks' forms (form-js
   schemas by formKey) open in form-js's editor on the Forms tab and are posted with the
   files. The page data is the JSON in #studio-data: {bpmn, dmn: {name: xml}, forms: {key:
   schema}, draft, urls, translations, text}.

   bpmn-js's palette and context pad are labelled through its `translate` service, replaced
   here by one reading the desk's catalogue (data.translations). The canvas stays left to
   right (dir="ltr") in the right-to-left page. window.meterStudio exposes the modeler to the
   browser tests. */
(function () {
  "use strict";

  function start() {
    var root = document.querySelector("[data-process-studio]");
    var source = document.getElementById("studio-data");
    if (!root || !source || !window.BpmnJS) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var text = data.text;
    var dmnFiles = Object.assign({}, data.dmn);
    var currentDmn = "";
    var FORMS_TAB = "#forms";
    var forms = JSON.parse(JSON.stringify(data.forms || {}));
    var formEditor = null;
    var currentForm = "";

    function translate(template, replacements) {
      var out = data.translations[template] || template;
      replacements = replacements || {};
      return out.replace(/{([^}]+)}/g, function (_m, key) {
        return replacements[key] !== undefined ? replacements[key] : "{" + key + "}";
      });
    }

    var modeler = new window.BpmnJS({
      container: "#studio-canvas",
      additionalModules: [{ translate: ["value", translate] }],
    });
    var dmnModeler = window.DmnJS ? new window.DmnJS({ container: "#studio-dmn" }) : null;
    var status = document.getElementById("studio-status");
    var problemsList = document.getElementById("studio-problems");
    var result = document.getElementById("studio-result");
    var marked = [];

    function el(tag, className, content) {
      var node = document.createElement(tag);
      if (className) {
        node.className = className;
      }
      if (content !== undefined) {
        node.textContent = content;
      }
      return node;
    }

    function say(message, kind) {
      var hint = document.getElementById("studio-hint");
      if (hint) {
        hint.hidden = true;
      }
      status.textContent = message;
      status.className = "font-semibold " + (kind ? "process-studio__" + kind : "");
    }

    function unmark() {
      var canvas = modeler.get("canvas");
      marked.forEach(function (pair) {
        try {
          canvas.removeMarker(pair[0], pair[1]);
        } catch (_e) {
          /* the element was deleted since */
        }
      });
      marked = [];
    }

    function mark(ids, marker) {
      var registry = modeler.get("elementRegistry");
      var canvas = modeler.get("canvas");
      ids.forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, marker);
          marked.push([id, marker]);
        }
      });
    }

    function showElement(id) {
      var element = modeler.get("elementRegistry").get(id);
      if (!element) {
        return;
      }
      showTab("").then(function () {
        modeler.get("canvas").scrollToElement(element);
        modeler.get("selection").select(element);
      });
    }

    function keepDmn() {
      if (!currentDmn || !dmnModeler) {
        return Promise.resolve();
      }
      return dmnModeler.saveXML({ format: true }).then(function (saved) {
        dmnFiles[currentDmn] = saved.xml;
      });
    }

    function keepForm() {
      if (formEditor && currentForm) {
        forms[currentForm] = formEditor.saveSchema();
      }
    }

    function allowEditorStyles() {
      /* form-js's properties panel edits expressions in CodeMirror, which adds <style>
         blocks that the desk's Content-Security-Policy refuses without the page's nonce
         (and CodeMirror takes a nonce only from its own configuration, which form-js does
         not expose): style elements made on this page carry it. */
      var nonce = root.dataset.styleNonce;
      if (!nonce || document.meterStyleNonce) {
        return;
      }
      var create = document.createElement;
      document.meterStyleNonce = true;
      document.createElement = function (tag, options) {
        var node = create.call(document, tag, options);
        if (String(tag).toLowerCase() === "style") {
          node.setAttribute("nonce", nonce);
        }
        return node;
      };
    }

    function openForm(key) {
      keepForm();
      currentForm = key;
      if (!key) {
        return Promise.resolve();
      }
      if (!formEditor) {
        allowEditorStyles();
        formEditor = new window.FormEditor.FormEditor({ container: "#studio-form-editor" });
      }
      return formEditor.importSchema(forms[key]);
    }

    function taskFormKey(element) {
      var bo = element.businessObject;
      return (bo.$attrs && bo.$attrs["camunda:formKey"]) || bo.get("camunda:formKey") || "";
    }

    function formKeys() {
      /* Every user task's form (its camunda:formKey, else its id, as the engine reads it),
         with the version's kept forms: a step drawn in the modeler gets one to design. */
      var keys = {};
      Object.keys(forms).forEach(function (key) {
        keys[key] = true;
      });
      modeler
        .get("elementRegistry")
        .filter(function (element) {
          return element.type === "bpmn:UserTask";
        })
        .forEach(function (element) {
          keys[taskFormKey(element) || element.id] = true;
        });
      return Object.keys(keys).sort();
    }

    function ensureForm(key) {
      /* A new step's form: blank, and named on the step so the engine finds it. */
      if (!forms[key]) {
        forms[key] = { type: "default", id: key, schemaVersion: 19, components: [] };
      }
      var element = modeler.get("elementRegistry").get(key);
      if (element && element.type === "bpmn:UserTask" && !taskFormKey(element)) {
        modeler.get("modeling").updateProperties(element, { "camunda:formKey": key });
      }
    }

    function showForms() {
      var select = document.getElementById("studio-form-key");
      var keys = formKeys();
      var chosen = currentForm || select.value;
      select.textContent = "";
      select.disabled = !keys.length;
      keys.forEach(function (key) {
        var option = el("option", "", key + (nameOf(key) ? " — " + nameOf(key) : ""));
        option.value = key;
        select.appendChild(option);
      });
      if (!keys.length) {
        select.appendChild(el("option", "", text.no_forms));
        return Promise.resolve();
      }
      if (!select.dataset.bound) {
        select.dataset.bound = "1";
        select.addEventListener("change", function () {
          ensureForm(select.value);
          openForm(select.value);
        });
      }
      select.value = keys.indexOf(chosen) >= 0 ? chosen : keys[0];
      if (currentForm === select.value) {
        return Promise.resolve();
      }
      ensureForm(select.value);
      return openForm(select.value);
    }

    function showTab(name) {
      var isForms = name === FORMS_TAB;
      return keepDmn().then(function () {
        currentDmn = isForms ? "" : name;
        document.querySelectorAll("[data-studio-tab]").forEach(function (tab) {
          tab.setAttribute("aria-selected", String(tab.dataset.studioTab === name));
        });
        document.getElementById("studio-canvas").hidden = Boolean(name);
        document.getElementById("studio-dmn").hidden = !name || isForms;
        document.getElementById("studio-forms").hidden = !isForms;
        if (isForms && window.FormEditor) {
          return showForms();
        }
        if (name && !isForms && dmnModeler) {
          return dmnModeler.importXML(dmnFiles[name]).then(function () {
            // Open the first decision table rather than the requirements diagram.
            var table = dmnModeler.getViews().filter(function (view) {
              return view.type === "decisionTable";
            })[0];
            return table ? dmnModeler.open(table) : undefined;
          });
        }
        return undefined;
      });
    }

    function files() {
      return keepDmn().then(function () {
        keepForm();
        return modeler.saveXML({ format: true }).then(function (saved) {
          return { bpmn: saved.xml, dmn: dmnFiles, forms: forms };
        });
      });
    }

    function csrf() {
      var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      var input = document.querySelector("input[name=csrfmiddlewaretoken]");
      return match ? decodeURIComponent(match[1]) : input ? input.value : "";
    }

    function post(url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: JSON.stringify(body || {}),
      }).then(function (response) {
        return response.json().then(function (json) {
          if (!response.ok) {
            var error = new Error((json.errors || [text.failed]).join(" "));
            error.json = json;
            throw error;
          }
          return json;
        });
      });
    }

    function list(title, items) {
      var box = el("section", "flex flex-col gap-1");
      box.appendChild(el("h3", "font-semibold", title));
      var ul = el("ul", "process-studio__steps");
      items.forEach(function (item) {
        ul.appendChild(item);
      });
      box.appendChild(ul);
      return box;
    }

    function nameOf(id) {
      var element = modeler.get("elementRegistry").get(id);
      return (element && element.businessObject && element.businessObject.name) || "";
    }

    function stepItem(step, extra) {
      var li = el("li");
      li.appendChild(el("span", "process-studio__code", step.id));
      var name = step.name || nameOf(step.id);
      if (name || extra) {
        var shown = el("span", "process-studio__name", name + (extra ? " (" + extra + ")" : ""));
        shown.dir = "auto";
        li.appendChild(shown);
      }
      return li;
    }

    var actions = {
      save: function () {
        return files().then(function (body) {
          body.note = document.getElementById("studio-note").value;
          return post(data.urls.save, body).then(function (json) {
            say(text.saved, "ok");
            if (!data.draft) {
              window.location.assign(json.studio_url);
            }
            return json;
          });
        });
      },
      validate: function () {
        return actions.save().then(function () {
          return post(data.urls.validate).then(function (json) {
            unmark();
            problemsList.textContent = "";
            result.textContent = "";
            json.problems.forEach(function (problem) {
              var li = el("li", "process-studio__problem", problem.message);
              li.dataset.elements = problem.elements.join(" ");
              problem.elements.forEach(function (id) {
                // A link to the element: selects it and brings it into view.
                var show = el("button", "process-studio__show process-studio__code", id);
                show.type = "button";
                show.addEventListener("click", function () {
                  showElement(id);
                });
                li.appendChild(show);
              });
              problemsList.appendChild(li);
              mark(problem.elements, "studio-problem");
            });
            if (!json.problems.length) {
              say(text.valid, "ok");
              var diff = json.diff;
              if (diff.forms.length) {
                result.appendChild(
                  list(text.forms_changed, diff.forms.map(function (key) { return stepItem({ id: key }); }))
                );
              }
              if (!diff.added.length && !diff.removed.length && !diff.changed.length && !diff.forms.length) {
                result.appendChild(el("p", "", text.unchanged));
              }
              if (diff.added.length) {
                result.appendChild(list(text.added, diff.added.map(function (s) { return stepItem(s); })));
              }
              if (diff.removed.length) {
                result.appendChild(list(text.removed, diff.removed.map(function (s) { return stepItem(s); })));
              }
              if (diff.changed.length) {
                result.appendChild(
                  list(text.changed, diff.changed.map(function (s) { return stepItem(s, s.what.join("، ")); }))
                );
              }
            } else {
              say(text.refused, "error");
            }
            return json;
          });
        });
      },
      dry_run: function () {
        return actions.save().then(function () {
          return post(data.urls.dry_run, {}).then(function (json) {
            unmark();
            result.textContent = "";
            mark(json.path.map(function (step) { return step.id; }), "studio-visited");
            result.appendChild(list(text.path, json.path.map(function (step) { return stepItem(step); })));
            if (json.messages.length) {
              result.appendChild(
                list(text.messages, json.messages.map(function (id) { return stepItem({ id: id }); }))
              );
            }
            result.appendChild(
              list(
                text.forms,
                json.tasks.map(function (task) {
                  var li = stepItem({ id: task.element, name: task.name }, task.lane);
                  var fields = el("ul", "ps-4 text-xs");
                  task.fields.forEach(function (field) {
                    fields.appendChild(
                      el("li", "", field.label + " [" + field.type + "] = " + (task.data[field.id] || ""))
                    );
                  });
                  li.appendChild(fields);
                  return li;
                })
              )
            );
            if (json.completed) {
              say(text.completed.replace("%(end)s", json.end_event), "ok");
            } else {
              say(json.stopped, "error");
            }
            return json;
          });
        });
      },
      deploy: function () {
        if (!window.confirm(text.confirm_deploy)) {
          return Promise.resolve(null);
        }
        return actions.save().then(function () {
          return post(data.urls.deploy).then(function (json) {
            say(text.deployed, "ok");
            window.location.assign(json.url);
            return json;
          });
        });
      },
    };

    root.querySelectorAll("[data-studio-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var name = button.dataset.studioAction;
        button.disabled = true;
        delete root.dataset.done;
        actions[name]()
          .then(function () {
            // Tells the browser tests (and screen readers, through the status) it finished.
            root.dataset.done = name;
          })
          .catch(function (error) {
            say(error.message || text.failed, "error");
          })
          .then(function () {
            button.disabled = false;
          });
      });
    });
    root.querySelectorAll("[data-studio-tab]").forEach(function (tab) {
      tab.addEventListener("click", function () {
        showTab(tab.dataset.studioTab);
      });
    });

    window.meterStudio = {
      modeler: modeler,
      dmnModeler: dmnModeler,
      actions: actions,
      forms: function () {
        keepForm();
        return forms;
      },
      formEditor: function () {
        return formEditor;
      },
    };
    modeler.importXML(data.bpmn).then(function () {
      modeler.get("canvas").zoom("fit-viewport");
      root.dataset.ready = "1";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
