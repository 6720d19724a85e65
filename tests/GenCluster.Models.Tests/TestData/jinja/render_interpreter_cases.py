import json, jinja2, jinja2.sandbox, jinja2.ext
from jinja2.exceptions import TemplateError
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
cases = [
 "  {% if true %}\n    yes\n  {% endif %}\nafter",
 "a  {%- if true -%}  b  {%- endif %}\n c {{- ' d ' -}} e\n",
 "{# comment #}\nx {#- c -#} y\n  {# c2 #}\nz",
 "{% for x in items %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.length }}{{ ',' if not loop.last }}{% endfor %}",
 "{% for x in items if x > 1 %}{{ x }}{% if loop.first %}F{% endif %}{% else %}none{% endfor %}",
 "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}",
 "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}",
 "{% set ns = namespace(n=0) %}{% for x in items %}{% set ns.n = ns.n + x %}{% set local = x %}{% endfor %}{{ ns.n }}{{ local is defined }}",
 "{% set block %}inner {{ 1 + 2 }}{% endset %}[{{ block }}]",
 "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', punct='?') }}",
 "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ 'é\"\\n' | tojson }}",
 "{{ '  x  ' | trim }}|{{ 'ab' | upper }}|{{ 'hello wORLD-foo' | title }}|{{ 'hello wORLD' | capitalize }}|{{ 'a-b c'.title() }}",
 "{{ items | length }}|{{ items | first }}|{{ items | last }}|{{ items | join(', ') }}|{{ items | map('string') | join }}|{{ items | sum }}",
 "{{ undefined_var | default('dflt') }}|{{ '' | default('e', true) }}|{{ none | string }}|{{ true }}|{{ 3 / 2 }}|{{ 7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}",
 "{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'xxaxx'.strip('x') }}|{{ 'a-b-c'.replace('-', '+', 1) }}",
 "{{ 'hello'[1:3] }}|{{ 'hello'[::-1] }}|{{ items[-1] }}|{{ items[:2] }}|{{ items[1:] }}|{{ 'ell' in 'hello' }}|{{ 2 in items }}|{{ 5 not in items }}",
 "{{ users | selectattr('admin') | map(attribute='name') | list }}|{{ users | rejectattr('admin') | map(attribute='name') | join }}|{{ users | selectattr('name', 'equalto', 'b') | list | length }}",
 "{{ 'x' ~ 1 ~ none }}|{{ 1 if false }}|{{ 'y' if true else 'n' }}|{{ 1 < 2 < 3 }}|{{ not 1 == 1 }}|{{ none is none }}|{{ 'a' is string }}|{{ d is mapping }}|{{ items is iterable }}",
 "{{ 'line1\nline2\n\nline4' | indent(2) }}|{{ 'a\nb' | indent(4, first=true) }}",
 "{{ d.get('a') }}|{{ d.get('zz', 'fallback') }}|{{ d.keys() | list }}|{{ d['b'] }}|{{ d.b }}|{{ d.missing is defined }}",
 "{% for x in items %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "{{ '{0} and {1}'.format('a', 'b') }}|{{ 'a' * 3 }}|{{ [1] + [2] }}|{{ 1.5 + 1 }}|{{ 10 / 4 }}|{{ 0.1 + 0.2 }}|{{ 1e20 }}|{{ (1e-5) }}",
 "{{ users | tojson }}|{{ {'k': [1, 2.5, none, true]} | tojson(indent=4) }}",
 "{%- set x = 'a' -%}\n\n  {{ x }}  \n{%+ if true %}B{% endif %}\n  {%+ if true %}C{% endif %}",
 "{{ 'abc'|list }}|{{ items|reverse|list }}|{{ '5'|int + 1 }}|{{ '2.5'|float }}|{{ -3|abs }}|{{ [3,1,2]|max }}|{{ 'ÄbC'|lower }}",
 "{{ [3, 1, 2] | sort }}|{{ users | sort(attribute='name', reverse=true) | map(attribute='name') | join }}|{{ ['b', 'A', 'c'] | sort }}|{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}",
 "{{ {'b': 1, 'a': 2} | dictsort }}|{% for k, v in d | dictsort(reverse=true) %}{{ k }}{{ v }}{% endfor %}",
 "{{ 'Hello %s, you are %d' % ('Ann', 42) }}|{{ '%s!' % 'hi' }}|{{ '%r' % 'x' }}|{{ '100%%' % () }}",
 "{{ 'x' ~ -1 ~ 2.0 }}|{{ items | batch(2) | list }}|{{ 'a b c' | wordcount }}|{{ 3.7 | round }}|{{ 2.5 | round }}|{{ 3.14159 | round(2) }}",
 "{{ 'abc' | center(7) }}|{{ items | select('odd') | list }}|{{ items | reject('even') | list }}|{{ d.items() | list }}",
]
ctx = dict(items=[1,2,3], d={"a":1,"b":"two"}, users=[{"name":"a","admin":True},{"name":"b","admin":False}])
out=[]
for c in cases:
    out.append({"template": c, "expected": env.from_string(c).render(**ctx)})
json.dump(out, open("interpreter_cases.json", "w"), ensure_ascii=False, indent=1)
