# ruff: noqa: E501  (long German source texts are keys; they stay on one line where they fit)
"""
The portal's texts in other languages, keyed by the German source text (gettext style).

Templates write ``{{ _("Maßnahmen") }}``; German is the source language, so a text missing here shows in
German. ``tests/unit/test_portal_texts.py`` fails when a template or form message has no English text.
A city adds or overrides texts by updating :data:`TRANSLATIONS` in its ``main.py``.
"""

EN = {
    "Alle Änderungen an dieser Maßnahme": "All changes to this measure",
    "Alle öffentlichen Änderungen an der Maßnahme „%s“, mit Begründung.": (
        "All public changes to the measure “%s”, with their reasons."
    ),
    "Alle öffentlichen Änderungen an dieser Maßnahme seit ihrer Veröffentlichung, die neuesten zuerst.": (
        "All public changes to this measure since it was published, newest first."
    ),
    "Zu den neuesten Änderungen": "To the newest changes",
    "Ältere Änderungen": "Older changes",
    "Zurück zur Maßnahme": "Back to the measure",
    "Vorübergehend nicht erreichbar": "Temporarily unavailable",
    "Der Fahrplan ist gerade nicht erreichbar, weil seine Datenbank nicht antwortet. Bitte versuchen Sie es in einigen Minuten noch einmal.": (
        "The roadmap cannot be shown right now because its database does not answer. Please try again in a few minutes."
    ),
    "Ihre Fragen beantworten wir auch per Telefon, E-Mail oder Post (siehe unten).": (
        "We also answer your questions by phone, e-mail or post (see below)."
    ),
    "%d Maßnahmen": "%d measures",
    "%d Maßnahmen gefunden": "%d measures found",
    "Alle %d Maßnahmen des Programms": "All %d measures of the programme",
    "Alle Maßnahmen ansehen": "See all measures",
    "Alle Maßnahmen des Digitalisierungs-Fahrplans, filterbar nach Programm, Ziel, Amt, Status und Grundsätzen.": (
        "All measures of the digitalisation roadmap, filterable by programme, goal, department, status and principles."
    ),
    "Alle Maßnahmen des Fahrplans auf einer Zeitachse, mit Text-Alternative.": (
        "All measures of the roadmap on a timeline, with a text alternative."
    ),
    "Alle Menschen können die Angebote benutzen. Auch Menschen mit Behinderung.": (
        "Everybody can use the services. People with disabilities too."
    ),
    "Alle Seiten lassen sich ausdrucken; auf Wunsch schicken wir Ihnen den Fahrplan per Post.": (
        "Every page prints cleanly; on request we send you the roadmap by post."
    ),
    "Als Nächstes fällig": "Due next",
    "Anwenden": "Apply",
    "Anzeigen": "Show",
    "Ausgangswert": "Baseline",
    "Barrieren melden: Feedback": "Report a barrier: feedback",
    "Begründung": "Reason",
    "Bei jeder Maßnahme sehen Sie: Wie weit ist die Stadt schon?": "For every measure you see: how far has the city got?",
    "Beim Aufruf einer Seite verarbeitet der Server technisch notwendige Daten (zum Beispiel die IP-Adresse) für den "
    "sicheren Betrieb. Diese Protokolle werden nach kurzer Zeit gelöscht.": (
        "When you open a page, the server processes technically necessary data (such as the IP address) to run "
        "securely. These logs are deleted after a short time."
    ),
    "Beschreibung": "Description",
    "Beteiligt": "Involved",
    "Bitte prüfen Sie Ihre Angaben": "Please check your entries",
    "Brotkrumen": "Breadcrumb",
    "Budget geplant": "Budget planned",
    "Budget verausgabt": "Budget spent",
    "Datenquelle": "Data source",
    "Datenschutz": "Privacy",
    "Den Fortschritt hat das federführende Amt eingeschätzt.": "The lead department estimated the progress.",
    "Der Digitalisierungs-Fahrplan der Stadt: Ziele, Maßnahmen, Zwischenziele und Kontrollgrößen – offen und aktuell.": (
        "The city's digitalisation roadmap: goals, measures, milestones and KPIs – open and up to date."
    ),
    "Der Fahrplan nennt Ziele, Teilziele, Maßnahmen mit Zuständigkeiten und Terminen, Zwischenziele und messbare "
    "Kontrollgrößen. Verantwortlich ist das Chief Information/Innovation Office (CIIO); der Ausschuss für Personal, "
    "Organisation und Digitalisierung (APOD) prüft den Fortschritt jedes Quartal.": (
        "The roadmap names goals, sub-goals, measures with responsibilities and deadlines, milestones and measurable "
        "KPIs. The Chief Information/Innovation Office (CIIO) is responsible; the council committee for personnel, "
        "organisation and digitalisation (APOD) reviews progress every quarter."
    ),
    "Der Fortschritt ergibt sich aus den erreichten Zwischenzielen (gewichtet).": (
        "The progress follows from the milestones reached (weighted)."
    ),
    "Der Plan heißt: Fahrplan.": "The plan is called: roadmap.",
    "Der Rat hat beschlossen, alle Digitalisierungsmaßnahmen der Stadt in einem Fahrplan zu bündeln – mit Zielen, "
    "Teilzielen, Maßnahmen, Zwischenzielen und messbaren Kontrollgrößen. Hier sehen Sie, wie weit jede Maßnahme ist.": (
        "The council decided to bundle all of the city's digitalisation measures in one roadmap – with goals, "
        "sub-goals, measures, milestones and measurable KPIs. Here you see how far each measure has got."
    ),
    "Der Stand in Zahlen": "Where we stand, in figures",
    "Die Leitziele und Teilziele des Digitalisierungs-Fahrplans mit ihrem Fortschritt.": (
        "The goals and sub-goals of the digitalisation roadmap with their progress."
    ),
    "Die Seiten sind mit den Anforderungen der WCAG 2.1 auf Stufe AA vereinbar. Jede Seite wird bei jeder Änderung der "
    "Software automatisch mit axe-core geprüft. Alle Diagramme haben eine Tabelle mit denselben Werten; alle Seiten "
    "funktionieren ohne JavaScript und lassen sich ausdrucken.": (
        "The pages conform to WCAG 2.1 level AA. Every page is checked automatically with axe-core whenever the "
        "software changes. Every chart has a table with the same values; all pages work without JavaScript and print "
        "cleanly."
    ),
    "Die Software Fahrplan ist freie Software unter der MIT-Lizenz. Andere Städte dürfen sie nutzen, verändern und "
    "weitergeben.": (
        "The Fahrplan software is free software under the MIT licence. Other cities may use, change and share it."
    ),
    "Die Stadt %s ist bemüht, diesen Fahrplan im Einklang mit der Barrierefreie-Informationstechnik-Verordnung "
    "(BITV 2.0) barrierefrei zugänglich zu machen. Diese Erklärung gilt für alle Seiten des öffentlichen Fahrplans.": (
        "The City of %s strives to make this roadmap accessible in accordance with the German accessible information "
        "technology ordinance (BITV 2.0). This statement applies to all pages of the public roadmap."
    ),
    "Die Stadt %s will digitaler werden.": "The city of %s wants to become more digital.",
    "Die Stadt hat dafür einen Plan gemacht.": "The city has made a plan for this.",
    "Dieser Fahrplan setzt keine Cookies zur Analyse, bindet keine fremden Dienste ein und lädt keine Inhalte von "
    "anderen Servern. Schriften, Grafiken und Skripte liegen auf unserem eigenen Server.": (
        "This roadmap sets no analytics cookies, embeds no third-party services and loads nothing from other servers. "
        "Fonts, images and scripts are on our own server."
    ),
    "Dieses Amt führt keine veröffentlichte Maßnahme.": "This department leads no published measure.",
    "Digital heißt: Sie können viele Dinge im Internet erledigen.": "Digital means: you can do many things on the internet.",
    "Digitalisierung in %s – der Fahrplan": "Digitalisation in %s – the roadmap",
    "Digitalisierungs-Fahrplan": "Digitalisation roadmap",
    "Durchgezogene Linie: Messwerte. Gestrichelt: der geplante Weg vom Ausgangs- zum Zielwert (Ring).": (
        "Solid line: readings. Dashed: the planned path from the baseline to the target (ring)."
    ),
    "E-Mail": "E-mail",
    "Eine Maßnahme ist eine Aufgabe. Die Stadt will die Aufgabe erledigen.": (
        "A measure is a task. The city wants to get the task done."
    ),
    "Erklärung zur Barrierefreiheit": "Accessibility statement",
    "Erläuterung": "Explanation",
    "Fahrplan": "Roadmap",
    "Fahrplan ist freie Software (MIT-Lizenz): Public Money? Public Code!": (
        "Fahrplan is free software (MIT licence): Public Money? Public Code!"
    ),
    "Federführendes Amt": "Lead department",
    "Federführung": "Lead",
    "Filter zurücksetzen": "Reset filters",
    "Fortschritt": "Progress",
    "Fortschritt (höchster zuerst)": "Progress (highest first)",
    "Fortschritt insgesamt": "Overall progress",
    "Fortschritt insgesamt: der nach Gewichtung gemittelte Fortschritt aller veröffentlichten Maßnahmen. Eine Maßnahme "
    "misst ihren Fortschritt an ihren erreichten Zwischenzielen; ohne Zwischenziele gilt der übliche Wert ihres "
    "Status. Gestoppte Maßnahmen zählen nicht zum Fortschritt.": (
        "Overall progress: the weighted average progress of all published measures. A measure measures its progress "
        "by the milestones it has reached; without milestones, the usual value of its status applies. Stopped "
        "measures do not count towards progress."
    ),
    "Fortschritt von „%s“": "Progress of “%s”",
    "Fragen zu dieser Maßnahme?": "Questions about this measure?",
    "Für diese Maßnahme sind keine Zwischenziele festgelegt.": "No milestones are set for this measure.",
    "Geplant": "Planned",
    "Geplantes Ende": "Planned end",
    "Geplantes Ende (früheste zuerst)": "Planned end (earliest first)",
    "Grundsatz": "Principle",
    "Grundsätze des Memorandums": "Principles of the memorandum",
    "Hauptnavigation": "Main navigation",
    "Herausgeberin": "Publisher",
    "Hier erklären wir den Fahrplan in Leichter Sprache.": "Here we explain the roadmap in easy language.",
    "Ihr Name (freiwillig)": "Your name (optional)",
    "Ihre Daten sind sicher.": "Your data is safe.",
    "Ihre E-Mail-Adresse für eine Antwort (freiwillig)": "Your e-mail address for a reply (optional)",
    "Ihre Nachricht (Pflichtfeld)": "Your message (required)",
    "Im Fahrplan stehen Ziele.": "The roadmap contains goals.",
    "Impressum": "Imprint",
    "In der Maßnahmenliste filtern": "Filter in the list of measures",
    "Ist Ihnen eine Barriere aufgefallen? Schreiben Sie uns über dieses Formular, per E-Mail an %s, rufen Sie uns an "
    "oder schreiben Sie uns einen Brief. Die Nachricht geht an das %s.": (
        "Did you notice a barrier? Write to us with this form, by e-mail to %s, call us or send us a letter. "
        "Your message goes to the %s."
    ),
    "Jede Zeile ist eine Maßnahme, der Balken zeigt den geplanten Zeitraum; die Daten stehen auch als Text in jeder "
    "Zeile. Die senkrechte Linie markiert heute.": (
        "Each row is a measure; the bar shows its planned period, and the dates are in every row as text too. "
        "The vertical line marks today."
    ),
    "Jedes Leitziel ist in Teilziele mit messbaren Zielen gegliedert. Der Fortschritt eines Ziels ist der gewichtete "
    "Fortschritt seiner veröffentlichten Maßnahmen.": (
        "Each goal is divided into sub-goals with measurable targets. A goal's progress is the weighted progress of "
        "its published measures."
    ),
    "Keine veröffentlichte Maßnahme passt zu diesen Filtern.": "No published measure matches these filters.",
    "Keine veröffentlichte Maßnahme.": "No published measure.",
    "Kontakt": "Contact",
    "Kontakt – auch ohne Internet": "Contact – without internet too",
    "Kontrollgrößen": "KPIs",
    "Leichte Sprache": "Easy language",
    "Leitziel": "Goal",
    "Liniendiagramm der Messwerte; dieselben Werte stehen in der Tabelle darunter.": (
        "Line chart of the readings; the same values are in the table below."
    ),
    "Lizenz": "Licence",
    "Maßnahme": "Measure",
    "Maßnahmen": "Measures",
    "Maßnahmen filtern": "Filter measures",
    "Maßnahmen im Programm": "Measures in the programme",
    "Maßnahmen nach Status": "Measures by status",
    "Maßnahmen unter Federführung dieses Amts": "Measures led by this department",
    "Maßnahmen zu diesem Teilziel": "Measures for this sub-goal",
    "Messbares Ziel": "Measurable target",
    "Messwerte als Tabelle (%d)": "Readings as a table (%d)",
    "Messwerte von „%s“": "Readings of “%s”",
    "Mit dem „Memorandum zur Digitalisierung 2020 bis 2025“ hat der Rat der Stadt Dortmund alle "
    "Digitalisierungsmaßnahmen der Stadt in einem Fahrplan gebündelt – den Masterplan „Digitale Verwaltung – Arbeiten "
    "4.0“, den Masterplan „Digitale Bildung“, das Smart-City-Programm und die Umsetzung des Onlinezugangsgesetzes.": (
        "With the “Memorandum on Digitalisation 2020 to 2025”, Dortmund's city council bundled all of the city's "
        "digitalisation measures in one roadmap – the master plan “Digital Administration – Work 4.0”, the master plan "
        "“Digital Education”, the Smart City programme and the implementation of the Online Access Act (OZG)."
    ),
    "Nachweis": "Evidence",
    "Nachweis und Anmerkung": "Evidence and note",
    "Nicht barrierefreie Inhalte": "Content that is not accessible",
    "Noch keine veröffentlichte Maßnahme.": "No published measure yet.",
    "Nächste Seite": "Next page",
    "Oder schreiben Sie eine E-Mail:": "Or write an e-mail:",
    "Oder schreiben Sie einen Brief:": "Or write a letter:",
    "Ohne Zwischenziele gilt der übliche Fortschritt des Status „%s“.": (
        "Without milestones, the usual progress of the status “%s” applies."
    ),
    "Ort": "Location",
    "Post": "Post",
    "Programm": "Programme",
    "Programme": "Programmes",
    "Quellcode": "Source code",
    "Rufen Sie uns an:": "Call us:",
    "Rückmeldung senden": "Send feedback",
    "Rückmeldungen": "Feedback",
    "Schlichtungsverfahren": "Conciliation procedure",
    "Seit der Veröffentlichung wurde nichts geändert.": "Nothing has changed since publication.",
    "Seite %d": "Page %d",
    "Seiten": "Pages",
    "Server-Protokolle": "Server logs",
    "Sie haben Fragen?": "Do you have questions?",
    "Sie können auch ohne Internet zur Stadt kommen. Oder anrufen. Oder einen Brief schreiben.": (
        "You can also come to the city without internet. Or call. Or write a letter."
    ),
    "So bewerten wir: Wir erwarten, dass sich ein Wert gleichmäßig vom Ausgangswert zum Zielwert bewegt. Liegt der "
    "letzte Wert höchstens 5 Prozentpunkte hinter diesem Weg, ist die Kontrollgröße auf Kurs; bis 20 Punkte dahinter "
    "gefährdet; sonst nicht auf Kurs.": (
        "How we rate: we expect a value to move evenly from its baseline to its target. If the latest value is at "
        "most 5 percentage points behind that path, the KPI is on track; up to 20 points behind, at risk; otherwise "
        "off track."
    ),
    "Sortierung": "Sort by",
    "Sprache": "Language",
    "Stadt %s": "City of %s",
    "Stand": "Status",
    "Stand der Vereinbarkeit": "Status of conformity",
    "Stand des Grundsatzes": "State of the principle",
    "Status": "Status",
    "Stichtag": "Date",
    "Suche": "Search",
    "Tatsächlich": "Actual",
    "Teilziel": "Sub-goal",
    "Teilziele": "Sub-goals",
    "Telefon": "Phone",
    "Titel (A–Z)": "Title (A–Z)",
    "Und im Fahrplan stehen Maßnahmen.": "And the roadmap contains measures.",
    "Verantwortlich für den Inhalt": "Responsible for the content",
    "Verantwortliche Stelle": "Controller",
    "Verlauf von „%s“": "Trend of “%s”",
    "Verlinkte Dokumente anderer Stellen (zum Beispiel Ratsbeschlüsse als PDF) sind nicht immer barrierefrei. Auf "
    "Wunsch schicken wir Ihnen die Inhalte in einer zugänglichen Form.": (
        "Linked documents of other bodies (council decisions as PDF, for example) are not always accessible. On "
        "request we send you their content in an accessible form."
    ),
    "Verzögerte Maßnahmen": "Delayed measures",
    "Vielen Dank! Ihre Rückmeldung ist bei uns eingegangen.": "Thank you! We have received your feedback.",
    "Warum verzögert?": "Why delayed?",
    "Was ist der Fahrplan?": "What is the roadmap?",
    "Was ist der Stadt wichtig?": "What matters to the city?",
    "Was steht im Fahrplan?": "What is in the roadmap?",
    "Website": "Website",
    "Weitere Maßnahmen": "More measures",
    "Welche Seite betrifft es? (freiwillig)": "Which page is it about? (optional)",
    "Wenn Sie auf Ihre Rückmeldung keine zufriedenstellende Antwort erhalten, können Sie sich an die Ombudsstelle für "
    "barrierefreie Informationstechnik Ihres Landes wenden.": (
        "If you do not get a satisfactory answer to your feedback, you can turn to your state's ombudsperson for "
        "accessible information technology."
    ),
    "Wenn Sie uns über das Formular zur Barrierefreiheit schreiben, speichern wir Ihre Angaben, um Ihre Rückmeldung "
    "zu bearbeiten, und löschen sie danach.": (
        "If you write to us with the accessibility form, we store your details to handle your feedback and delete "
        "them afterwards."
    ),
    "Wert": "Value",
    "Wir verwenden Ihre Angaben nur, um Ihre Rückmeldung zu bearbeiten (siehe Datenschutz).": (
        "We use your details only to handle your feedback (see privacy)."
    ),
    "Zeitplan": "Timeline",
    "Ziel": "Goal",
    "Ziele": "Goals",
    "Zielwert": "Target",
    "Zuletzt aktualisiert": "Last updated",
    "Zum Beispiel einen Antrag stellen.": "For example, apply for something.",
    "Zum Beschluss-Dokument": "To the council decision",
    "Zum Inhalt springen": "Skip to content",
    "Zur ersten Seite": "To the first page",
    "Zurzeit steht kein Zwischenziel an.": "No milestone is due at the moment.",
    "Zuständig und Kontakt": "Responsibility and contact",
    "Zwischenziele": "Milestones",
    "alle": "all",
    "davon %d verzögert": "%d of them delayed",
    "erreicht": "reached",
    "gefiltert": "filtered",
    "geplant": "planned",
    "läuft": "ongoing",
    "gestoppt": "stopped",
    "Sie haben in kurzer Zeit viele Rückmeldungen gesendet. Bitte versuchen Sie es später.": (
        "You have sent many messages in a short time. Please try again later."
    ),
    "gestoppt – ohne Fortschrittsangabe": "stopped – no progress shown",
    "Die Maßnahme wurde gestoppt. Sie zeigt keinen Fortschritt und zählt nicht zum Fortschritt ihrer Ziele, ihres Programms und des Fahrplans.": "The measure was stopped. It shows no progress and does not count towards the progress of its goals, its programme and the roadmap.",
    "Verzögerte Maßnahmen: alle, deren Zwischenziel oder geplantes Ende überschritten ist oder die ihr Amt als verzögert gemeldet hat. Der Status „Verzögert“ unten zählt nur die Meldungen der Ämter; deshalb kann die erste Zahl größer sein.": "Delayed measures: all whose milestone or planned end has passed, or that their department reported as delayed. The status “Delayed” below counts only the departments' reports, so the first figure can be larger.",
    "noch nicht bewertet": "not assessed yet",
    "neu angelegt": "created",
    "gelöscht": "deleted",
    "Die Maßnahme ist abgeschlossen.": "The measure is completed.",
    "nur verzögerte Maßnahmen": "delayed measures only",
    "verzögert": "delayed",
    "Änderungen": "Changes",
    "Über diese Seite": "About this site",
    "Überfällige Zwischenziele": "Overdue milestones",
    "Übersicht": "Overview",
    "überfällig": "overdue",
    # Messages of the accessibility feedback form (services.rendering.check_feedback)
    "Bitte beschreiben Sie, was nicht zugänglich ist.": "Please describe what is not accessible.",
    "Bitte fassen Sie sich kürzer (höchstens 5.000 Zeichen).": "Please keep it shorter (5,000 characters at most).",
    "Bitte geben Sie eine gültige E-Mail-Adresse an oder lassen Sie das Feld leer.": (
        "Please enter a valid e-mail address or leave the field empty."
    ),
    "Der Name ist zu lang (höchstens 200 Zeichen).": "The name is too long (200 characters at most).",
}
"""English, by German source text."""

TRANSLATIONS: dict[str, dict[str, str]] = {"en": EN}
"""Texts by language (German is the source and needs no entry)."""
