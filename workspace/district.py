"""The seeded district: who works there, its channels, and the role each channel follows."""

from __future__ import annotations

from workspace.state import Channel, Person

ADMIN = Person("U0DANA", "Dana Ortiz", "District systems planner", is_admin=True)
PRINCIPAL = Person("U0MARCUS", "Marcus Lee", "Principal, Lincoln Elementary")
TEACHER = Person("U0PRIYA", "Priya Shah", "Teacher, Lincoln Elementary")
SECOND_TEACHER = Person("U0SAM", "Sam Rivera", "Teacher, Lincoln Elementary")
COACH = Person("U0JORDAN", "Jordan Kim", "Student routines coach")
PEOPLE = (ADMIN, PRINCIPAL, TEACHER, SECOND_TEACHER, COACH)

GENERAL = Channel("C0GENERAL", "general", "Everyone in the district.")
TEACHERS = Channel("C0TEACHERS", "lincoln-teachers", "Lincoln Elementary's teachers.")
LEADERS = Channel("C0LEADERS", "lincoln-leaders", "Lincoln Elementary's leadership team.")
PLANNING = Channel("C0PLANNING", "district-planning", "District systems planning.")
STUDENTS = Channel("C0STUDENTS", "lincoln-students", "Student routines at Lincoln.")
CHANNELS = (TEACHERS, LEADERS, PLANNING, STUDENTS, GENERAL)

# The role channels, subscribed by the admin as a manager would: channel -> role word.
ROLE_CHANNELS = {
    TEACHERS.id: "teacher",
    LEADERS.id: "leader",
    PLANNING.id: "systems",
    STUDENTS.id: "student",
}
SCHEDULE = "monday 08:00 America/Chicago"
TIMEZONE = "America/Chicago"
PAST_WEEKS = 3
# Who checked off each past week's nudge (week index -> channel -> people); the latest week
# is left for the visitor.
CHECK_OFFS: dict[int, dict[str, tuple[Person, ...]]] = {
    0: {TEACHERS.id: (TEACHER, SECOND_TEACHER), LEADERS.id: (PRINCIPAL,), PLANNING.id: (ADMIN,)},
    1: {TEACHERS.id: (TEACHER,), STUDENTS.id: (COACH,)},
}
