// Parses iCalendar feeds with ical.js and prints what it understood, as JSON.
// Input (stdin): a JSON array of feed texts. Output (stdout): one result per feed:
// {calendar: {properties, timezones}, events: [...]} or {error: "..."}.
// Used by tests/integration/test_ical_parsers.py; times in zones are also given in UTC,
// converted by ical.js through the feed's own VTIMEZONEs.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function properties(component) {
  const result = {};
  for (const property of component.getAllProperties()) {
    const values = property.getValues().map((value) => String(value));
    (result[property.name.toUpperCase()] ??= []).push(...values);
  }
  return result;
}

function time(component, name) {
  const property = component.getFirstProperty(name);
  if (!property) return null;
  const value = property.getFirstValue();
  const tzid = property.getParameter("tzid") ?? null;
  return {
    value: value.toString(),
    tzid,
    isDate: value.isDate,
    utc: value.isDate ? null : value.convertToZone(ICAL.Timezone.utcTimezone).toString(),
  };
}

function event(component) {
  const text = (name) => component.getFirstPropertyValue(name) ?? null;
  const categories = component.getFirstProperty("categories");
  const rrule = component.getFirstPropertyValue("rrule");
  return {
    properties: component.getAllProperties().map((p) => p.name.toUpperCase()),
    uid: text("uid"),
    summary: text("summary"),
    description: text("description"),
    location: text("location"),
    status: text("status"),
    transp: text("transp"),
    url: text("url"),
    sequence: text("sequence"),
    categories: categories ? categories.getValues() : [],
    rrule: rrule ? rrule.toString() : null,
    start: time(component, "dtstart"),
    end: time(component, "dtend"),
    stamp: time(component, "dtstamp"),
    alarms: component.getAllSubcomponents("valarm").map((alarm) => ({
      action: alarm.getFirstPropertyValue("action"),
      trigger: String(alarm.getFirstPropertyValue("trigger")),
      description: alarm.getFirstPropertyValue("description"),
    })),
  };
}

function parse(text) {
  try {
    const calendar = new ICAL.Component(ICAL.parse(text));
    const timezones = calendar.getAllSubcomponents("vtimezone");
    for (const vtimezone of timezones) ICAL.TimezoneService.register(vtimezone);
    return {
      name: calendar.name,
      calendar: {
        properties: properties(calendar),
        timezones: timezones.map((tz) => tz.getFirstPropertyValue("tzid")),
      },
      events: calendar.getAllSubcomponents("vevent").map(event),
      others: calendar
        .getAllSubcomponents()
        .map((c) => c.name)
        .filter((name) => name !== "vevent" && name !== "vtimezone"),
    };
  } catch (error) {
    return { error: String(error) };
  }
}

const feeds = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(feeds.map(parse)));
