"""The seeded district: two campuses, Lincoln and Washington, each with its leaders', teachers'
and students' role channels, and the district's planning channel; who works where (each person
is in their own campus's channel for their role, and in #general); the role each channel
follows; and who checked off which week's nudge."""

from __future__ import annotations

from collections.abc import Mapping

from workspace.state import Channel, Person, Workspace

ADMIN = Person("U0DANA", "Dana Ortiz", "District systems planner", is_admin=True)
PRINCIPAL = Person("U0MARCUS", "Marcus Lee", "Principal, Lincoln Elementary")
TEACHER = Person("U0PRIYA", "Priya Shah", "Teacher, Lincoln Elementary")
SECOND_TEACHER = Person("U0SAM", "Sam Rivera", "Teacher, Lincoln Elementary")
COACH = Person("U0JORDAN", "Jordan Kim", "Student routines coach, Lincoln Elementary")
ASSISTANT_PRINCIPAL = Person("U0NGOZI", "Ngozi Okafor", "Assistant principal, Lincoln Elementary")
WASHINGTON_PRINCIPAL = Person("U0ELENA", "Elena Petrova", "Principal, Washington Elementary")
WASHINGTON_TEACHER = Person("U0TOMAS", "Tomás Alvarez", "Teacher, Washington Elementary")
WASHINGTON_SECOND_TEACHER = Person("U0GRACE", "Grace Liu", "Teacher, Washington Elementary")
WASHINGTON_COACH = Person("U0MALIK", "Malik Brown", "Student routines coach, Washington Elementary")
# The first five in the order of the person switch as before: the browser test steps through it.
PEOPLE = (
    ADMIN,
    PRINCIPAL,
    TEACHER,
    SECOND_TEACHER,
    COACH,
    ASSISTANT_PRINCIPAL,
    WASHINGTON_PRINCIPAL,
    WASHINGTON_TEACHER,
    WASHINGTON_SECOND_TEACHER,
    WASHINGTON_COACH,
)

GENERAL = Channel("C0GENERAL", "general", "Everyone in the district.")
PLANNING = Channel("C0PLANNING", "district-planning", "District systems planning.")
LEADERS = Channel("C0LEADERS", "lincoln-leaders", "Lincoln Elementary's leadership team.")
STUDENTS = Channel("C0STUDENTS", "lincoln-students", "Student routines at Lincoln.")
TEACHERS = Channel("C0TEACHERS", "lincoln-teachers", "Lincoln Elementary's teachers.")
WASHINGTON_LEADERS = Channel(
    "C0WLEADERS", "washington-leaders", "Washington Elementary's leadership team."
)
WASHINGTON_STUDENTS = Channel(
    "C0WSTUDENTS", "washington-students", "Student routines at Washington."
)
WASHINGTON_TEACHERS = Channel(
    "C0WTEACHERS", "washington-teachers", "Washington Elementary's teachers."
)
# In the sidebar's order, as Slack lists channels: by name.
CHANNELS = (
    PLANNING,
    GENERAL,
    LEADERS,
    STUDENTS,
    TEACHERS,
    WASHINGTON_LEADERS,
    WASHINGTON_STUDENTS,
    WASHINGTON_TEACHERS,
)

# The role channels, subscribed by the admin as a manager would: channel -> role word. The app
# proposes each channel's campus from its name: Lincoln, Washington, and District for planning.
ROLE_CHANNELS = {
    TEACHERS.id: "teacher",
    LEADERS.id: "leader",
    PLANNING.id: "systems",
    STUDENTS.id: "student",
    WASHINGTON_TEACHERS.id: "teacher",
    WASHINGTON_LEADERS.id: "leader",
    WASHINGTON_STUDENTS.id: "student",
}
# Who is in each role channel (the app is in all of them); #general has everyone.
MEMBERS: Mapping[str, tuple[Person, ...]] = {
    PLANNING.id: (ADMIN,),
    LEADERS.id: (PRINCIPAL, ASSISTANT_PRINCIPAL),
    TEACHERS.id: (TEACHER, SECOND_TEACHER),
    STUDENTS.id: (COACH,),
    WASHINGTON_LEADERS.id: (WASHINGTON_PRINCIPAL,),
    WASHINGTON_TEACHERS.id: (WASHINGTON_TEACHER, WASHINGTON_SECOND_TEACHER),
    WASHINGTON_STUDENTS.id: (WASHINGTON_COACH,),
}
SCHEDULE = "monday 08:00 America/Chicago"
TIMEZONE = "America/Chicago"
PAST_WEEKS = 3
# Who checked off each past week's nudge (week index -> channel -> people). In the latest week
# #lincoln-teachers is left for the visitor, and #lincoln-students has had no check-off on its
# last two nudges: the one channel the week's digest says needs attention.
CHECK_OFFS: dict[int, dict[str, tuple[Person, ...]]] = {
    0: {
        TEACHERS.id: (TEACHER, SECOND_TEACHER),
        LEADERS.id: (PRINCIPAL,),
        PLANNING.id: (ADMIN,),
        STUDENTS.id: (COACH,),
        WASHINGTON_LEADERS.id: (WASHINGTON_PRINCIPAL,),
        WASHINGTON_TEACHERS.id: (WASHINGTON_TEACHER, WASHINGTON_SECOND_TEACHER),
        WASHINGTON_STUDENTS.id: (WASHINGTON_COACH,),
    },
    1: {
        TEACHERS.id: (TEACHER,),
        LEADERS.id: (PRINCIPAL,),
        PLANNING.id: (ADMIN,),
        WASHINGTON_LEADERS.id: (WASHINGTON_PRINCIPAL,),
        WASHINGTON_TEACHERS.id: (WASHINGTON_SECOND_TEACHER,),
    },
    2: {
        LEADERS.id: (PRINCIPAL, ASSISTANT_PRINCIPAL),
        PLANNING.id: (ADMIN,),
        WASHINGTON_LEADERS.id: (WASHINGTON_PRINCIPAL,),
        WASHINGTON_TEACHERS.id: (WASHINGTON_TEACHER,),
        WASHINGTON_STUDENTS.id: (WASHINGTON_COACH,),
    },
}


def open_district(workspace: Workspace) -> None:
    """The workspace emptied and filled with the district's people, channels and members."""
    workspace.reset(PEOPLE, CHANNELS)
    for channel_id, people in MEMBERS.items():
        workspace.set_members(channel_id, [*(p.id for p in people), workspace.identity.bot_user_id])
