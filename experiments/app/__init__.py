"""The educator's web page (relsim-app).

- `lesson`: the page's model (`LessonModel`: a preset, a what-if scenario, levers) and its captions;
- `charts`: the live charts as plotly specs; `network`: the sampled consumer network they draw;
- `live`: the transport that sends the charts to the browser as diffs, at the browser's pace;
- `layout`: the Solara page (levers, Mesa's run controls, status banner, charts); `server`: the `relsim-app` command.
"""
