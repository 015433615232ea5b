// Reads an .ics file on stdin with ical.js (Mozilla's parser, the one Thunderbird uses) and
// prints what a calendar app would take from it, as JSON on stdout:
//   node tests/support/read_ics.mjs [LOCAL_TIME ...] < visit.ics
// Times are converted with ical.js's own time zone code and the file's VTIMEZONE only: nothing
// is registered with ical.js's TimezoneService, so a TZID the file does not define is an error
// here instead of a silent floating time. Each LOCAL_TIME (e.g. 2028-07-01T10:00:00) is read as
// a wall-clock time in the event's time zone and given back in UTC under "local_times".
import ICAL from "ical.js";

function utc(time) {
  return new Date(time.toUnixTime() * 1000).toISOString();
}

function address(property) {
  if (property === null) {
    return null;
  }
  const [, parameters, , value] = property.toJSON();
  return { value, parameters };
}

function eventZone(property) {
  const tzid = property.getParameter("tzid");
  const zone = property.getFirstValue().zone;
  if (tzid === null || zone === null || zone.tzid !== tzid || zone.component === null) {
    throw new Error(`${property.name} is not in a time zone the file defines (TZID ${tzid})`);
  }
  return zone;
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));
const vevent = calendar.getFirstSubcomponent("vevent");
const event = new ICAL.Event(vevent);
const zone = eventZone(vevent.getFirstProperty("dtstart"));
eventZone(vevent.getFirstProperty("dtend"));

const localTimes = {};
for (const text of process.argv.slice(2)) {
  const wall = ICAL.Time.fromDateTimeString(text);
  const zoned = new ICAL.Time(
    {
      year: wall.year,
      month: wall.month,
      day: wall.day,
      hour: wall.hour,
      minute: wall.minute,
      second: wall.second,
    },
    zone,
  );
  localTimes[text] = utc(zoned);
}

console.log(
  JSON.stringify({
    method: calendar.getFirstPropertyValue("method"),
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    organizer: address(vevent.getFirstProperty("organizer")),
    attendees: vevent.getAllProperties("attendee").map(address),
    tzid: zone.tzid,
    start: utc(event.startDate),
    end: utc(event.endDate),
    local_times: localTimes,
  }),
);
