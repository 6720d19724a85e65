namespace GenCluster.Models.ChatTemplates;

/// <summary>Expression evaluation with jinja2/Python semantics.</summary>
sealed partial class TemplateEvaluator
{
    object? Eval(Expr expr, TemplateScope scope) => expr switch
    {
        LiteralExpr l => l.Value,
        NameExpr n => scope.Lookup(n.Name),
        AttrExpr a => TemplateMembers.GetAttribute(Eval(a.Target, scope), a.Name),
        ItemExpr i => TemplateMembers.GetItem(Eval(i.Target, scope), Eval(i.Key, scope)),
        SliceExpr s => TemplateMembers.Slice(Eval(s.Target, scope), EvalIndex(s.Start, scope), EvalIndex(s.Stop, scope), EvalIndex(s.Step, scope)),
        CallExpr c => Call(c, scope),
        FilterExpr f => TemplateFilters.Apply(f.Name, Eval(f.Value, scope), EvalArgs(f.Args, scope), EvalKwargs(f.Kwargs, scope)),
        TestExpr t => TemplateTests.Apply(t.Name, Eval(t.Value, scope), EvalArgs(t.Args, scope)) != t.Negated,
        BinaryExpr b => EvalBinary(b, scope),
        UnaryExpr u => EvalUnary(u, scope),
        CompareExpr c => EvalCompare(c, scope),
        ConditionalExpr c => PyValue.IsTruthy(Eval(c.Condition, scope))
            ? Eval(c.Then, scope)
            : c.Else != null ? Eval(c.Else, scope) : Undefined.Of("conditional expression"),
        ListExpr l => l.IsTuple ? new PyTuple(EvalArgs(l.Items, scope)) : EvalArgs(l.Items, scope),
        DictExpr d => EvalDict(d, scope),
        _ => throw new TemplateRuntimeException($"unknown expression {expr.GetType().Name}"),
    };

    List<object?> EvalArgs(List<Expr> args, TemplateScope scope) => args.Select(a => Eval(a, scope)).ToList();

    Dict EvalKwargs(List<(string Name, Expr Value)> kwargs, TemplateScope scope)
    {
        var result = new Dict();
        foreach (var (name, value) in kwargs) result[name] = Eval(value, scope);
        return result;
    }

    Dict EvalDict(DictExpr d, TemplateScope scope)
    {
        var result = new Dict();
        foreach (var (key, value) in d.Items)
        {
            if (Eval(key, scope) is not string k) throw new TemplateRuntimeException("dict literal keys must be strings");
            result[k] = Eval(value, scope);
        }
        return result;
    }

    long? EvalIndex(Expr? e, TemplateScope scope) => e == null ? null : Eval(e, scope) switch
    {
        null => null,
        var v => PyValue.ToLong(v, "slice index"),
    };

    object? Call(CallExpr c, TemplateScope scope)
    {
        var function = Eval(c.Function, scope);
        return function switch
        {
            Callable callable => callable.Invoke(EvalArgs(c.Args, scope), EvalKwargs(c.Kwargs, scope)),
            Undefined u => throw u.Error(),
            _ => throw new TemplateRuntimeException($"'{PyValue.TypeName(function)}' object is not callable"),
        };
    }

    object? EvalBinary(BinaryExpr b, TemplateScope scope)
    {
        var left = Eval(b.Left, scope);
        switch (b.Op)
        {
            case "and": return PyValue.IsTruthy(left) ? Eval(b.Right, scope) : left;
            case "or": return PyValue.IsTruthy(left) ? left : Eval(b.Right, scope);
            case "~": return PyValue.Str(left) + PyValue.Str(Eval(b.Right, scope));
            default: return TemplateOperators.Arithmetic(b.Op, left, Eval(b.Right, scope));
        }
    }

    object? EvalUnary(UnaryExpr u, TemplateScope scope)
    {
        var value = Eval(u.Operand, scope);
        return u.Op switch
        {
            "not" => !PyValue.IsTruthy(value),
            "-" => value switch
            {
                long l => (object)(-l),
                double d => -d,
                bool b => b ? -1L : 0L,
                Undefined x => throw x.Error(),
                _ => throw new TemplateRuntimeException($"bad operand type for unary -: '{PyValue.TypeName(value)}'"),
            },
            _ => PyValue.IsNumber(value) ? value : throw new TemplateRuntimeException($"bad operand type for unary +: '{PyValue.TypeName(value)}'"),
        };
    }

    object? EvalCompare(CompareExpr c, TemplateScope scope)
    {
        var left = Eval(c.First, scope);
        foreach (var (op, rightExpr) in c.Rest)
        {
            var right = Eval(rightExpr, scope);
            bool holds = op switch
            {
                "==" => PyValue.Equals(left, right),
                "!=" => !PyValue.Equals(left, right),
                "in" => TemplateOperators.Contains(right, left),
                "not in" => !TemplateOperators.Contains(right, left),
                _ => CompareOrdered(op, left, right),
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }

    static bool CompareOrdered(string op, object? left, object? right)
    {
        if (left is Undefined u) throw u.Error();
        if (right is Undefined v) throw v.Error();
        int cmp = PyValue.Compare(left, right, op);
        return op switch { "<" => cmp < 0, "<=" => cmp <= 0, ">" => cmp > 0, _ => cmp >= 0 };
    }
}
